// Package agent runs hoist's transfer engine in a per-user background
// process and lets UIs and commands drive it over a Unix socket.
//
// The agent (Server) owns one client.Engine per set of connection settings,
// all journaling in the user's journal, and keeps for every upload its
// latest state and recent events, so that a client that attaches later
// (Client.Subscribe) sees the uploads as if it had been there all along.
// The socket lives in a directory only its user may enter; every connection
// is also checked with the peer's credentials (SO_PEERCRED), and a client of
// another user is refused. The protocol is newline-delimited JSON,
// versioned by a hello; AGENT-PROTOCOL.md at the repository root
// describes it.
//
// Connection settings, tokens included, travel only from the client to the
// agent, as an opaque document the agent hands to its engine factory; no
// answer ever carries them back.
package agent
