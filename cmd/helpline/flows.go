package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"helpline/flows"
)

// flowsCheck validates the flows in a directory (./flows when it exists,
// else the built-in ones) and prints every problem, one a line.
func flowsCheck(args []string, stdout, stderr io.Writer) int {
	dir := ""
	if len(args) > 0 {
		dir = args[0]
	} else if fi, err := os.Stat("flows"); err == nil && fi.IsDir() {
		dir = "flows"
	}
	set, err := loadFlows(dir)
	if err != nil {
		var joined interface{ Unwrap() []error }
		n := 1
		if errors.As(err, &joined) {
			n = len(joined.Unwrap())
		}
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stderr, "%d problem(s) in %s\n", n, where(dir))
		return 1
	}
	names := make([]string, 0, len(set.Flows))
	for id := range set.Flows {
		names = append(names, id)
	}
	fmt.Fprintf(stdout, "%s: ok (flows: %s; criteria: %d indicators, %d rules; crisis: %d families of patterns)\n",
		where(dir), strings.Join(names, ", "), len(set.Criteria.Indicators), len(set.Criteria.Rules), len(set.Crisis.Patterns))
	return 0
}

func where(dir string) string {
	if dir == "" {
		return "built-in flows"
	}
	return dir
}

// withFlows parses a command's --flows flag and loads the flows it names,
// reporting problems on stderr; code is non-zero when the command must stop.
func withFlows(name string, args []string, stderr io.Writer) (set *flows.Set, fs *flag.FlagSet, code int) {
	fs = flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("flows", "", "load flows from this directory instead of the built-in ones")
	if err := fs.Parse(args); err != nil {
		return nil, nil, 2
	}
	set, err := loadFlows(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return nil, nil, 1
	}
	return set, fs, 0
}

// flowsGraph prints a flow as a Mermaid flowchart.
func flowsGraph(args []string, stdout, stderr io.Writer) int {
	set, fs, code := withFlows("flows graph", args, stderr)
	if code != 0 {
		return code
	}
	id := set.Criteria.Flow
	if fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	f := set.Flows[id]
	if f == nil {
		fmt.Fprintf(stderr, "no flow %q\n", id)
		return 1
	}
	if err := f.Graph(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// criteria prints the criteria table: the rules in the order they are tried,
// then every indicator with the answers that raise it.
func criteria(args []string, stdout, stderr io.Writer) int {
	set, _, code := withFlows("criteria", args, stderr)
	if code != 0 {
		return code
	}
	fmt.Fprint(stdout, flows.CriteriaText(set.Criteria, "en"))
	return 0
}
