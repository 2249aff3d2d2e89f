// Command helpline is the text line of a substance-use and mental-health
// treatment provider: a screening by SMS and in Slack that ends with a
// tailored comparison of IOP and inpatient care. Run "helpline help" for
// every command and flag.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  helpline chat [--lang en|es] [--flows DIR]
        hold a screening in the terminal (reads stdin line by line)
  helpline serve [--dev] [--flows DIR]
        run the HTTP server for Twilio and Slack (--dev: no secrets, signature checks off)
  helpline flows check [--provider FILE] [DIR]
        validate flow files and list every problem at once (DIR: ./flows, else the built-in ones);
        with --provider (default: HELPLINE_PROVIDER_FILE), the provider facts file too
  helpline flows graph [--flows DIR] [FLOW]
        print a flow as a Mermaid diagram
  helpline flows try [--flows DIR] [--lang en|es] [--for self|other] [--json] STEP [TEXT]
        what the assistant makes of TEXT (or each stdin line) at STEP
  helpline criteria [--flows DIR]
        print the criteria table the summary applies
  helpline crisis [--flows DIR] [--json] [--why] [TEXT]
        the tier and kind of danger in TEXT (or each stdin line) and which layer decided; --why shows
        both layers: every pattern that matched or was cleared, the model's classes and what weighed most
  helpline train [--check]
        retrain the danger and intents models from the examples (--check: write nothing, fail if they would change)
  helpline eval [--heldout] [--writers E01,S03] [--model danger|intents]
        measure the models by writer: recall, false alarms and intent accuracy with intervals, then every miss
  helpline help
        this text
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: arguments, streams and environment are
// passed in so tests can drive every command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "chat":
		return chat(ctx, args[1:], stdin, stdout, stderr, getenv)
	case "serve":
		return serve(ctx, args[1:], stdout, stderr, getenv)
	case "flows":
		if len(args) > 1 && args[1] == "check" {
			return flowsCheck(args[2:], stdout, stderr, getenv)
		}
		if len(args) > 1 && args[1] == "graph" {
			return flowsGraph(args[2:], stdout, stderr)
		}
		if len(args) > 1 && args[1] == "try" {
			return flowsTry(args[2:], stdin, stdout, stderr)
		}
	case "criteria":
		return criteria(args[1:], stdout, stderr)
	case "crisis":
		return crisisCheck(args[1:], stdin, stdout, stderr)
	case "train":
		return train(args[1:], stdout, stderr)
	case "eval":
		return evalCmd(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprint(stderr, usage)
	return 2
}
