// Package house holds the test of how the packages may depend on one
// another: the engine knows no channel, no channel knows another, and only
// the store speaks to Redis.
package house

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "helpline"

// channels are the adapters: each decodes its own requests and renders
// replies its own way, and reaches the others only through the path.
var channels = []string{"internal/sms", "internal/whatsapp", "internal/slack"}

// imports maps every directory of the module to what its Go files import;
// a test file's imports are marked with a leading "test:".
func imports(t *testing.T) map[string][]string {
	t.Helper()
	root := filepath.Join("..", "..")
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.HasSuffix(path, "_test.go") {
				p = "test:" + p
			}
			out[rel] = append(out[rel], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func under(dir, pkg string) bool { return dir == pkg || strings.HasPrefix(dir, pkg+"/") }

func TestTheHouse(t *testing.T) {
	all := imports(t)
	if len(all["bot"]) == 0 || len(all["internal/store"]) == 0 {
		wd, _ := os.Getwd()
		t.Fatalf("read no imports from the module (from %s)", wd)
	}
	for dir, ims := range all {
		for _, im := range ims {
			im, test := strings.CutPrefix(im, "test:")
			if im == "github.com/redis/go-redis/v9" && !under(dir, "internal/store") {
				t.Errorf("%s imports go-redis: only internal/store speaks to Redis", dir)
			}
			if !strings.HasPrefix(im, module+"/") {
				continue
			}
			target := strings.TrimPrefix(im, module+"/")
			engine := under(dir, "bot") || under(dir, "flows")
			if under(dir, "bot/understand") && !test && target != "flows" && target != "flows/text" && !under(target, "bot/understand") {
				// Reading a text knows the flows, the text layer and its
				// own parts (the learned model), never the conversation or
				// a channel: the engine asks it, not the other way round.
				t.Errorf("%s imports %s: bot/understand reads texts with flows, flows/text and its own parts only", dir, target)
			}
			if engine && !test && strings.HasPrefix(target, "internal/") {
				t.Errorf("%s imports %s: the engine and the flows know no channel and no store", dir, target)
			}
			if engine && test && !under(target, "internal/store") && strings.HasPrefix(target, "internal/") {
				// Their tests run on the real store, and nothing else.
				t.Errorf("%s's tests import %s: the engine is tested without channels", dir, target)
			}
			for _, ch := range channels {
				if under(dir, ch) {
					for _, other := range channels {
						if other != ch && under(target, other) {
							t.Errorf("%s imports %s: no channel imports another", dir, target)
						}
					}
				}
			}
		}
	}
}

// The binary compiles only the third-party packages it uses: the one
// Twilio REST API it calls, not every API the root package imports, and
// no metrics client with a protobuf runtime. A cold build is what a
// newcomer's first "go run" waits for.
func TestTheBinaryCompilesWhatItUses(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "helpline/cmd/helpline")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var rest []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/twilio/twilio-go/rest/") {
			rest = append(rest, p)
		}
		for _, heavy := range []string{"google.golang.org/protobuf", "github.com/prometheus/"} {
			if strings.HasPrefix(p, heavy) {
				t.Errorf("the binary compiles %s", p)
			}
		}
	}
	if len(rest) != 1 || rest[0] != "github.com/twilio/twilio-go/rest/api/v2010" {
		t.Errorf("the binary compiles the Twilio REST packages %v; it uses only rest/api/v2010", rest)
	}
}
