// Package wire is hoist's protocol on the wire: libipc-style frames, the JSON
// messages they carry, the error codes a server answers with, and a fast
// TRANSFER codec that is byte-for-byte equivalent to encoding/json.
//
// It knows nothing about sockets, storage or users: the server and the client
// engine both build on it. PROTOCOL.md at the repository root describes the
// same format for people; the two must stay in step.
package wire
