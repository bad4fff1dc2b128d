package client

import (
	"errors"
	"strings"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// The hints here are README's Troubleshooting section, in one place: the
// terminal UI's details view and `hoist send` show the one that fits an
// upload's error.

// hint is advice for errors that match.
type hint struct {
	// is matches errors for which errors.Is(err, is) holds; nil matches any.
	is error
	// code matches a server refusal with this code; empty matches any
	// error.
	code wire.Code
	// words match when the error's text holds all of them (any case).
	words  []string
	advice string
}

// dropAdvice is the advice for a connection that went away.
const dropAdvice = "The connection to the server dropped. hoist reconnects on its own and sends only what the server does not hold yet."

// hints are tried in order; the first that matches wins.
var hints = []hint{
	{is: ErrUploadLocked,
		advice: "Another hoist process is sending this upload (its pid is in the message; hoist send --list shows it too): wait for it to end, or stop that process first."},
	{is: ErrPartialKept,
		advice: "The upload is forgotten here, but the server keeps its partial data, and the quota it reserves, until the server's partial expiry (7 days by default): an older server cannot drop it, or it could not be reached. Ask the operator to free it sooner."},
	{code: wire.CodeUnauthorized, words: []string{"expired"},
		advice: "Mint a new token (hoist token) or fix the clock: 30s of skew is allowed. With token_file or token_command, hoist re-reads the token once before giving up, so replacing the file is enough."},
	{code: wire.CodeUnauthorized, words: []string{"signature"},
		advice: "The token was signed with another key than the server checks: mint it with `hoist token --root` of that server, or configure the server with your issuer's public key."},
	{code: wire.CodeUnauthorized,
		advice: "The server does not accept the token: mint a new one for this server (hoist token)."},
	{code: wire.CodeBadRequest, words: []string{"name"},
		advice: "The server refuses names that are not valid UTF-8, or hold /, \\, .., control characters or over 255 bytes. Rename the file."},
	{code: wire.CodeQuota,
		advice: "The user's quota is used up (completed files plus space reserved by unfinished uploads). Delete files, give up unfinished uploads (hoist send --list, then --discard FID), or ask the operator; hoist stops at once instead of retrying."},
	{code: wire.CodeTooLarge,
		advice: "A file is over the server's max_file_size, or the upload has more files or tags than the server allows: send fewer or smaller files, or ask the operator."},
	{code: wire.CodeConflict,
		advice: "An upload with this fid exists with other files or tags (a journal entry for files that changed): discard it with hoist send --discard FID and start again."},
	{code: wire.CodeNoFreeName,
		advice: "Every variant of the file's name (NAME (2).ext, ...) is taken among your stored files: rename the file, or delete stored copies, and send it again."},
	{code: wire.CodeForbidden,
		advice: "The fid belongs to another user."},
	{code: wire.CodeBusy,
		advice: "The server is busy; hoist keeps trying and shows the next try's time."},
	{words: []string{"giving up after"},
		advice: "hoist stopped reconnecting after its retry budget without progress: check that the server runs at that address. An upload the server had accepted stays journaled (hoist send --list), and hoist send --resume continues it once the server is back. --retry-budget sets how long to keep trying (0: forever)."},
	{words: []string{"speaks tls"},
		advice: "The server speaks TLS: use a tls:// address for it."},
	{words: []string{"does not speak tls"},
		advice: "The server speaks plain TCP: use a tcp:// address for it."},
	{words: []string{"not installed"},
		advice: "hoist must be installed on the remote host and on its PATH for ssh://; see --remote-command."},
	{words: []string{"host key verification failed"},
		advice: "Fix ssh first: `ssh user@host hoist --version` must work without a prompt."},
	{words: []string{"ssh", "permission denied"},
		advice: "Fix ssh first: `ssh user@host hoist --version` must work without a prompt."},
	{words: []string{"unknown host"},
		advice: "The server's host name does not resolve: check the server address in hoist's configuration, and the network."},
	{words: []string{"no such host"},
		advice: "The server's host name does not resolve: check the server address in hoist's configuration, and the network."},
	{words: []string{"permission denied"},
		advice: "hoist may not read this file or directory: check its permissions, or leave it out."},
	{words: []string{"connection refused"},
		advice: "Nothing listens at the server's address: the server is down or the address is wrong. hoist keeps trying and shows the next try's time (--retry-budget and --retry-attempts limit it)."},
	{words: []string{"reset by peer"}, advice: dropAdvice},
	{words: []string{"broken pipe"}, advice: dropAdvice},
	{words: []string{"timeout"},
		advice: "The server is unreachable or slow; hoist keeps trying and shows the next try's time (--retry-budget and --retry-attempts limit it)."},
}

// Hint returns what to do about err, an error of an upload or of the
// engine, in a sentence or two from README's Troubleshooting section; ""
// when there is no advice beyond the error itself. It also recognises
// errors that were printed and wrapped as text on the way.
func Hint(err error) string {
	if err == nil {
		return ""
	}
	text := strings.ToLower(err.Error())
	code := refusalCode(err, text)
	for _, h := range hints {
		if h.is != nil && !errors.Is(err, h.is) {
			continue
		}
		if h.code != "" && h.code != code {
			continue
		}
		matched := true
		for _, w := range h.words {
			if !strings.Contains(text, w) {
				matched = false
				break
			}
		}
		if matched {
			return h.advice
		}
	}
	return ""
}

// refusalCode is the code of the server refusal err is, or "": its
// *wire.Error, or, for one that lost it on the way (printed and wrapped as
// text), the code or the words refusal.Error puts in the text.
func refusalCode(err error, text string) wire.Code {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Code
	}
	for _, c := range wire.Codes {
		if strings.Contains(text, "("+string(c)+")") {
			return c
		}
	}
	for _, c := range wire.Codes {
		if strings.Contains(text, refusalWords(c)) {
			return c
		}
	}
	return ""
}
