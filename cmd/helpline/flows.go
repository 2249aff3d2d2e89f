package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"helpline/flows"
	"helpline/internal/config"
)

// flowsCheck validates the flows in a directory (./flows when it exists,
// else the built-in ones) and, with --provider or HELPLINE_PROVIDER_FILE,
// the provider file against them, and prints every problem, one a line.
func flowsCheck(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("flows check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	providerFile := fs.String("provider", "", "also check this provider facts file (default: HELPLINE_PROVIDER_FILE)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := ""
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
		// Flags after the directory count too.
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "flows check takes one directory, not also %q\n", fs.Arg(0))
			return 2
		}
	} else if fi, err := os.Stat("flows"); err == nil && fi.IsDir() {
		dir = "flows"
	}
	if *providerFile == "" {
		// The environment is read by config alone; its other settings do
		// not concern this command, and the provider file's problems are
		// reported below.
		cfg, _ := config.FromEnv(getenv)
		*providerFile = cfg.ProviderFile
	}
	var errs []error
	set, err := loadFlows(dir)
	if err != nil {
		errs = append(errs, err)
	}
	var provider *flows.Provider
	if *providerFile != "" {
		if set != nil {
			provider, err = set.LoadProvider(*providerFile)
		} else {
			provider, err = flows.LoadProvider(*providerFile)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		n := 0
		for _, err := range errs {
			var joined interface{ Unwrap() []error }
			if errors.As(err, &joined) {
				n += len(joined.Unwrap())
			} else {
				n++
			}
			fmt.Fprintln(stderr, err)
		}
		in := where(dir)
		if *providerFile != "" {
			in += " and " + *providerFile
		}
		fmt.Fprintf(stderr, "%d problem(s) in %s\n", n, in)
		return 1
	}
	names := make([]string, 0, len(set.Flows))
	for id := range set.Flows {
		names = append(names, id)
	}
	answers := "none"
	if set.FAQ != nil {
		answers = fmt.Sprintf("%d categories", len(set.FAQ.Answers))
	}
	fmt.Fprintf(stdout, "%s: ok (flows: %s; criteria: %d indicators, %d rules; crisis: %d families of patterns; answers: %s)\n",
		where(dir), strings.Join(names, ", "), len(set.Criteria.Indicators), len(set.Criteria.Rules), len(set.Crisis.Patterns), answers)
	if provider != nil {
		unset := "every fact set"
		if u := provider.Unset(); len(u) > 0 {
			unset = "not set, so intake is offered instead: " + strings.Join(u, ", ")
		}
		fmt.Fprintf(stdout, "%s: ok (%s)\n", *providerFile, unset)
	}
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
