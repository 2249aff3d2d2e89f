.PHONY: run test bench fuzz build check train

run: ## the screening in the terminal, embedded store, no accounts needed
	go run ./cmd/helpline chat

test: ## everything CI runs: vet runs once, on the same -race build the tests use
	go vet -race ./... && test -z "$$(gofmt -l .)" && go mod tidy -diff && go test -race -vet=off -count=1 ./...

bench: ## time per text of the text layer; throughput, latency, round trips and memory against a bare handler, on Redis and a 3-master Cluster
	go run ./cmd/helpline-bench

build: ## the one binary
	go build -o bin/helpline ./cmd/helpline

train: ## retrain the danger and intents models from the examples into bot/understand/models
	go run ./cmd/helpline train

check: ## validate the flows in ./flows, as an author would
	go run ./cmd/helpline flows check flows

fuzz: ## a minute and a half of fuzzing on each parser
	go test ./flows/text -run '^$$' -fuzz FuzzRead -fuzztime 20s
	go test ./bot/understand -run '^$$' -fuzz FuzzParse -fuzztime 20s
	go test ./bot/understand -run '^$$' -fuzz FuzzCrisisCheck -fuzztime 20s
	go test ./flows -run '^$$' -fuzz FuzzLoad -fuzztime 20s
	go test ./internal/sms -run '^$$' -fuzz FuzzShape -fuzztime 20s
