package learn

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"helpline/flows/text"
)

// Where the examples are, relative to the root of a checkout.
const (
	ExamplesDir = "flows/examples"
	// WritersFile lists every writer, their language and role: only
	// writers whose role is "train" are trained on.
	WritersFile = ExamplesDir + "/writers.tsv"
	// HeldoutDir holds the texts of held-out writers: never trained or
	// tuned on, read only by a final measurement (ReadHeldout).
	HeldoutDir = ExamplesDir + "/heldout"
	// TablesDir holds the danger check's tables (danger*.tsv, clears.tsv),
	// trained on too, each as a writer of its own ("T:danger_c.tsv").
	TablesDir = "bot/understand/testdata"
	// LanguageFiles are the language files the texts are read with.
	LanguageFiles = "flows/language_*.yaml"
)

// Danger kinds of each tier, as the labelling guide has them.
var (
	urgentKinds  = []string{"suicide", "selfharm", "overdose", "withdrawal", "violence", "other"}
	concernKinds = []string{"suicide", "selfharm"}
)

// A Writer is one line of the writers file.
type Writer struct {
	ID, Lang, Role string
}

// Examples are every example the trainer reads from a checkout.
type Examples struct {
	// Danger are texts labelled with a danger class and whose danger.
	Danger []Example
	// Intents are questions and requests, without None (see
	// IntentExamples).
	Intents []Example
	// Answers are what training writers texted in answer to the
	// screening's questions in whole conversations: None for intents
	// (an answer that names a topic is not a question about it).
	Answers []Example
	// Files are every file read, relative to the root, sorted.
	Files []string
	// Writers are the writers trained on.
	Writers []Writer
}

// ReadExamples reads the examples of the training writers and the danger
// check's tables under root. It never reads HeldoutDir.
func ReadExamples(root string) (*Examples, error) {
	ex := &Examples{}
	writers, err := ex.readWriters(root)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, kind := range []string{"danger", "intents"} {
		kindErrs, err := ex.readKind(root, kind, writers)
		if err != nil {
			return nil, err
		}
		errs = append(errs, kindErrs...)
	}
	answers, files, err := readConversations(root, writers)
	if err != nil {
		errs = append(errs, err)
	}
	ex.Answers, ex.Files = answers, append(ex.Files, files...)
	tableErrs, err := ex.readTables(root)
	if err != nil {
		return nil, err
	}
	errs = append(errs, tableErrs...)
	clears := TablesDir + "/clears.tsv"
	if got, err := readClears(root, clears); err == nil {
		ex.Files = append(ex.Files, clears)
		ex.Danger = append(ex.Danger, got...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(ex.Files)
	return ex, nil
}

// readWriters reads WritersFile under root into ex, its training writers
// into ex.Writers, and returns every writer by ID.
func (ex *Examples) readWriters(root string) (map[string]Writer, error) {
	wt, err := readTable(root, WritersFile, "id", "lang", "role")
	if err != nil {
		return nil, err
	}
	ex.Files = append(ex.Files, WritersFile)
	writers := map[string]Writer{}
	for _, r := range wt.rows {
		w := Writer{ID: r.get(wt, "id"), Lang: r.get(wt, "lang"), Role: r.get(wt, "role")}
		writers[w.ID] = w
		if w.Role == "train" {
			ex.Writers = append(ex.Writers, w)
		}
	}
	return writers, nil
}

// readKind reads into ex the examples of kind ("danger" or "intents"),
// one file a training writer in their language's folder. It returns the
// problems of the files, or err when it cannot list them.
func (ex *Examples) readKind(root, kind string, writers map[string]Writer) (errs []error, err error) {
	files, err := filepath.Glob(filepath.Join(root, ExamplesDir, kind, "*", "*.tsv"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	for _, f := range files {
		rel := filepath.ToSlash(must(filepath.Rel(root, f)))
		lang := path.Base(path.Dir(rel))
		id := strings.TrimSuffix(path.Base(rel), ".tsv")
		w, ok := writers[id]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: writer %s is not in %s", rel, id, WritersFile))
			continue
		case w.Role != "train":
			errs = append(errs, fmt.Errorf("%s: writer %s has role %s, not train: their texts belong in %s", rel, id, w.Role, HeldoutDir))
			continue
		case w.Lang != lang:
			errs = append(errs, fmt.Errorf("%s: writer %s writes %s, not %s", rel, id, w.Lang, lang))
			continue
		}
		ex.Files = append(ex.Files, rel)
		var got []Example
		if kind == "danger" {
			got, err = readDanger(root, rel, id, lang)
			ex.Danger = append(ex.Danger, got...)
		} else {
			got, err = readIntents(root, rel, id, lang)
			ex.Intents = append(ex.Intents, got...)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs, nil
}

// readTables reads into ex.Danger the danger tables under TablesDir. It
// returns the problems of the tables, or err when it cannot list them.
func (ex *Examples) readTables(root string) (errs []error, err error) {
	tables, err := filepath.Glob(filepath.Join(root, TablesDir, "danger*.tsv"))
	if err != nil {
		return nil, err
	}
	slices.Sort(tables)
	for _, f := range tables {
		rel := filepath.ToSlash(must(filepath.Rel(root, f)))
		ex.Files = append(ex.Files, rel)
		got, err := readDanger(root, rel, "T:"+path.Base(rel), "")
		if err != nil {
			errs = append(errs, err)
		}
		ex.Danger = append(ex.Danger, got...)
	}
	return errs, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// IntentExamples returns the intents and, as None, up to perWriter of each
// training writer's None danger texts (answers and talk, not questions),
// chosen by a fixed hash so that every writer's voice is in None; 0 takes
// them all. The danger check's tables are left out: their None texts
// include questions about the service.
func (ex *Examples) IntentExamples(perWriter int) []Example {
	out := append(slices.Clone(ex.Intents), ex.Answers...)
	byWriter := map[string][]int{}
	var writers []string
	for i, e := range ex.Danger {
		if e.Class != None || strings.HasPrefix(e.Writer, "T:") {
			continue
		}
		if byWriter[e.Writer] == nil {
			writers = append(writers, e.Writer)
		}
		byWriter[e.Writer] = append(byWriter[e.Writer], i)
	}
	for _, w := range writers {
		rows := byWriter[w]
		if perWriter > 0 && len(rows) > perWriter {
			h := func(i int) uint32 {
				return hashString(fnvOffset^hashSeed, ex.Danger[i].Text+"\x00"+ex.Danger[i].Source)
			}
			slices.SortFunc(rows, func(a, b int) int {
				if ha, hb := h(a), h(b); ha != hb {
					return cmp.Compare(ha, hb)
				}
				return a - b
			})
			rows = rows[:perWriter]
			slices.Sort(rows)
		}
		for _, i := range rows {
			e := ex.Danger[i]
			e.Who = ""
			out = append(out, e)
		}
	}
	return out
}

// dangerClass returns the class of a danger label.
func dangerClass(tier, kind string) (string, error) {
	switch tier {
	case "", None:
		if kind != "" && kind != "-" {
			return "", fmt.Errorf("tier none with kind %q: want -", kind)
		}
		return None, nil
	case Urgent:
		if slices.Contains(urgentKinds, kind) {
			return tier + ":" + kind, nil
		}
		return "", fmt.Errorf("kind %q: urgent kinds are %s", kind, strings.Join(urgentKinds, ", "))
	case "concern":
		if slices.Contains(concernKinds, kind) {
			return tier + ":" + kind, nil
		}
		return "", fmt.Errorf("kind %q: concern kinds are %s", kind, strings.Join(concernKinds, ", "))
	}
	return "", fmt.Errorf("tier %q: want urgent, concern or none", tier)
}

// readDanger reads a danger file: columns tier, kind, who, text and, when
// lang is "", lang.
func readDanger(root, rel, writer, lang string) ([]Example, error) {
	cols := []string{"tier", "kind", "who", "text"}
	if lang == "" {
		cols = append(cols, "lang")
	}
	t, err := readTable(root, rel, cols...)
	if err != nil {
		return nil, err
	}
	var out []Example
	var errs []error
	for _, r := range t.rows {
		e := Example{Text: r.get(t, "text"), Lang: lang, Writer: writer, Source: fmt.Sprintf("%s:%d", rel, r.line)}
		if lang == "" {
			e.Lang = r.get(t, "lang")
		}
		class, err := dangerClass(r.get(t, "tier"), r.get(t, "kind"))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Source, err))
			continue
		}
		e.Class = class
		if who := r.get(t, "who"); class != None {
			if !slices.Contains(WhoClasses, who) {
				errs = append(errs, fmt.Errorf("%s: who %q: want self or other", e.Source, who))
				continue
			}
			e.Who = who
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// readIntents reads an intents file: columns intent and text.
func readIntents(root, rel, writer, lang string) ([]Example, error) {
	t, err := readTable(root, rel, "intent", "text")
	if err != nil {
		return nil, err
	}
	var out []Example
	var errs []error
	for _, r := range t.rows {
		e := Example{Text: r.get(t, "text"), Lang: lang, Writer: writer, Class: r.get(t, "intent"), Source: fmt.Sprintf("%s:%d", rel, r.line)}
		if e.Class == "" || e.Class == None || strings.ContainsAny(e.Class, " :") {
			errs = append(errs, fmt.Errorf("%s: intent %q: want a name such as cost", e.Source, e.Class))
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// readClears reads the danger check's clear table: each "cleared" text is
// None; "kept" texts are danger of a kind the table does not say, and are
// left out.
func readClears(root, rel string) ([]Example, error) {
	t, err := readTable(root, rel, "lang", "cleared")
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range t.rows {
		out = append(out, Example{Text: r.get(t, "cleared"), Lang: r.get(t, "lang"), Writer: "T:" + path.Base(rel), Class: None, Source: fmt.Sprintf("%s:%d", rel, r.line)})
	}
	return out, nil
}

// ReadHeldout reads the examples of the held-out writers, for a final
// measurement only: the trainer never calls it. Every .tsv file under
// HeldoutDir is read, as a danger file or an intents file by its header;
// its writer is the file's name, or its folder's when the file is called
// danger.tsv or intents.tsv; the writer's language comes from the writers
// file.
func ReadHeldout(root string) (danger, intents []Example, err error) {
	wt, err := readTable(root, WritersFile, "id", "lang", "role")
	if err != nil {
		return nil, nil, err
	}
	writers := map[string]Writer{}
	for _, r := range wt.rows {
		writers[r.get(wt, "id")] = Writer{ID: r.get(wt, "id"), Lang: r.get(wt, "lang"), Role: r.get(wt, "role")}
	}
	var errs []error
	err = filepath.WalkDir(filepath.Join(root, HeldoutDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tsv") {
			return err
		}
		rel := filepath.ToSlash(must(filepath.Rel(root, p)))
		id := strings.TrimSuffix(path.Base(rel), ".tsv")
		if id == "danger" || id == "intents" {
			id = path.Base(path.Dir(rel))
		}
		w, ok := writers[id]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: writer %s is not in %s", rel, id, WritersFile))
			return nil
		}
		t, err := readTable(root, rel)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		var got []Example
		switch {
		case slices.Contains(t.cols, "intent"):
			got, err = readIntents(root, rel, id, w.Lang)
			intents = append(intents, got...)
		case slices.Contains(t.cols, "tier"):
			lang := w.Lang
			if slices.Contains(t.cols, "lang") {
				lang = ""
			}
			got, err = readDanger(root, rel, id, lang)
			danger = append(danger, got...)
		default:
			err = fmt.Errorf("%s: columns %s: want those of a danger or an intents file", rel, strings.Join(t.cols, ", "))
		}
		if err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return danger, intents, errors.Join(errs...)
}

// table is a TSV file: a header row, then rows; lines starting with # and
// blank lines are skipped.
type table struct {
	rel  string
	cols []string
	rows []row
}

type row struct {
	line   int
	fields []string
}

func (r row) get(t *table, col string) string {
	if i := slices.Index(t.cols, col); i >= 0 {
		return r.fields[i]
	}
	return ""
}

// readTable reads root/rel and checks that it has the columns want.
func readTable(root, rel string, want ...string) (*table, error) {
	raw, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	t := &table{rel: rel}
	var errs []error
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if t.cols == nil {
			t.cols = fields
			for _, c := range want {
				if !slices.Contains(fields, c) {
					return nil, fmt.Errorf("%s:%d: no column %q in the header", rel, i+1, c)
				}
			}
			continue
		}
		if len(fields) != len(t.cols) {
			errs = append(errs, fmt.Errorf("%s:%d: %d fields, want %d (%s)", rel, i+1, len(fields), len(t.cols), strings.Join(t.cols, ", ")))
			continue
		}
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		t.rows = append(t.rows, row{i + 1, fields})
	}
	if t.cols == nil {
		return nil, fmt.Errorf("%s: no header row", rel)
	}
	return t, errors.Join(errs...)
}

// InputDigest returns the SHA-256 of everything a model called name is
// trained from: each of files (relative to root) and each language file,
// path and bytes, in path order, then the settings.
func InputDigest(root string, files []string, name string, s Settings) ([32]byte, error) {
	langs, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(LanguageFiles)))
	if err != nil {
		return [32]byte{}, err
	}
	all := slices.Clone(files)
	for _, l := range langs {
		all = append(all, filepath.ToSlash(must(filepath.Rel(root, l))))
	}
	slices.Sort(all)
	all = slices.Compact(all)
	h := sha256.New()
	fmt.Fprintf(h, "helpline model inputs 1\n")
	for _, rel := range all {
		raw, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return [32]byte{}, err
		}
		fmt.Fprintf(h, "%s\n%d\n", rel, len(raw))
		h.Write(raw)
	}
	fmt.Fprintf(h, "model %s\n%s\n", name, s)
	return [32]byte(h.Sum(nil)), nil
}

// LangDigest returns the SHA-256 of what the languages know, as loaded
// from their files: every exported field of each Language, by code, with
// maps in key order. A model read with languages of another digest sees
// other words than it was trained on.
func LangDigest(langs map[string]*text.Language) [32]byte {
	var b bytes.Buffer
	b.WriteString("helpline languages 1\n")
	for _, code := range sortedKeys(langs) {
		b.WriteString(code + "\n")
		canon(&b, reflect.ValueOf(langs[code]))
	}
	return sha256.Sum256(b.Bytes())
}

// canon writes v so that equal values write equal bytes.
func canon(b *bytes.Buffer, v reflect.Value) {
	str := func(s string) { b.WriteString(strconv.Itoa(len(s)) + ":" + s) }
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		canon(b, v.Elem())
	case reflect.Struct:
		t := v.Type()
		b.WriteString("{")
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			str(t.Field(i).Name)
			canon(b, v.Field(i))
		}
		b.WriteString("}")
	case reflect.Map:
		type kv struct {
			key string
			val reflect.Value
		}
		var kvs []kv
		for it := v.MapRange(); it.Next(); {
			var kb bytes.Buffer
			canon(&kb, it.Key())
			kvs = append(kvs, kv{kb.String(), it.Value()})
		}
		slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.key, b.key) })
		b.WriteString("map" + strconv.Itoa(len(kvs)) + "[")
		for _, e := range kvs {
			b.WriteString(e.key)
			canon(b, e.val)
		}
		b.WriteString("]")
	case reflect.Slice, reflect.Array:
		b.WriteString("list" + strconv.Itoa(v.Len()) + "[")
		for i := range v.Len() {
			canon(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.String:
		str(v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString("i" + strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString("u" + strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString("f" + strconv.FormatFloat(v.Float(), 'g', -1, 64))
	default:
		// Functions and channels say nothing about words.
		b.WriteString(v.Kind().String())
	}
}

// ConversationsDir holds whole screenings written by writers, turn by
// turn (see flows/examples/CONVERSATIONS_BRIEF.md).
const ConversationsDir = ExamplesDir + "/conversations"

// readConversations reads the answers of the training writers' whole
// conversations: each turn's text, as None for intents. A turn's "ask" (a
// question asked before answering) is not read: it is not labelled.
func readConversations(root string, writers map[string]Writer) ([]Example, []string, error) {
	files, err := filepath.Glob(filepath.Join(root, ConversationsDir, "*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(files)
	var out []Example
	var read []string
	var errs []error
	for _, f := range files {
		rel := filepath.ToSlash(must(filepath.Rel(root, f)))
		raw, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var c struct {
			ID    string `yaml:"id"`
			Lang  string `yaml:"lang"`
			Turns []struct {
				Step string `yaml:"step"`
				Text string `yaml:"text"`
			} `yaml:"turns"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rel, err))
			continue
		}
		id, _, _ := strings.Cut(path.Base(rel), "-")
		if w, ok := writers[id]; !ok || strings.HasPrefix(w.Role, "heldout") {
			errs = append(errs, fmt.Errorf("%s: writer %s is held out or not in %s", rel, id, WritersFile))
			continue
		}
		read = append(read, rel)
		for i, t := range c.Turns {
			if strings.TrimSpace(t.Text) == "" || t.Step == "first" {
				continue // a first text often asks as it opens
			}
			out = append(out, Example{Text: t.Text, Lang: c.Lang, Class: None, Writer: id, Source: fmt.Sprintf("%s turn %d", rel, i+1)})
		}
	}
	return out, read, errors.Join(errs...)
}
