// Package slack is intake staff's side of the helpline in Slack: the signed
// HTTP endpoints /slack/commands, /slack/interactions and /slack/events, the
// same handlers over Socket Mode, the /helpline command (criteria, compare,
// screen, stats, help), answers to plain questions in a DM or a mention, and
// the Block Kit that renders the criteria table, the comparison and the
// screening from the flows, the very source the texter's summary uses.
//
// Every request is acknowledged at once; anything slower (the screening,
// the stats, answers to questions) runs after the acknowledgement and
// reaches Slack through the Web API or the command's response_url. Only the
// configured workspace is served.
package slack
