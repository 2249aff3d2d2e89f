// Package flows owns the screening as data: the flow of questions, the
// criteria table that turns answers into a lean, the crisis phrases, the
// fixed texts of the service, and the answers to texters' questions with
// the provider's own facts they are filled from (Provider). They live in
// YAML files embedded in the binary, are decoded strictly and validated
// when loaded, and every problem is reported at once with its file and
// step so a clinical lead can fix a flow without reading Go.
//
// The package imports only the standard library and a YAML decoder; the
// conversation engine in package bot interprets what it loads.
package flows
