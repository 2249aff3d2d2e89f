// Package bot is the conversation engine: it takes one inbound message from
// any channel, checks it for danger before anything else, handles carrier and
// assistant keywords, parses the answer to the current step, advances the
// flow and, at the end, renders the summary from the criteria table.
//
// The engine knows no channel. Sessions live behind the Store interface;
// package internal/store keeps them in Redis.
package bot
