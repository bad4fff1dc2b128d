package tui

import (
	"errors"
	"strings"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// The hints here are README's Troubleshooting section, in one place: the
// details view shows the one that fits an error. They belong with the
// errors in transfer/client, where `hoist send` could share them; they live
// in the UI until that package offers them.

// hint is advice for errors that match.
type hint struct {
	// code matches a server refusal with this code; empty matches any
	// error.
	code wire.Code
	// words match when the error's text holds all of them (any case).
	words  []string
	advice string
}

// hints are tried in order; the first that matches wins.
var hints = []hint{
	{code: wire.CodeUnauthorized, words: []string{"expired"},
		advice: "Mint a new token (hoist token) or fix the clock: 30s of skew is allowed. With token_file or token_command, hoist re-reads the token once before giving up, so replacing the file is enough."},
	{code: wire.CodeUnauthorized, words: []string{"signature"},
		advice: "The token was signed with another key than the server checks: mint it with `hoist token --root` of that server, or configure the server with your issuer's public key."},
	{code: wire.CodeUnauthorized,
		advice: "The server does not accept the token: mint a new one for this server (hoist token)."},
	{code: wire.CodeBadRequest, words: []string{"name"},
		advice: "The server refuses names with /, \\, .., control characters or over 255 bytes. Rename the file."},
	{code: wire.CodeQuota,
		advice: "The user's quota is used up (completed files plus space reserved by unfinished uploads). Delete files or ask the operator; hoist stops at once instead of retrying."},
	{code: wire.CodeTooLarge,
		advice: "A file is over the server's max_file_size, or the upload has more files or tags than the server allows: send fewer or smaller files, or ask the operator."},
	{code: wire.CodeConflict,
		advice: "An upload with this fid exists with other files or tags (a journal entry for files that changed): discard it with hoist send --discard FID and start again."},
	{code: wire.CodeForbidden,
		advice: "The fid belongs to another user."},
	{code: wire.CodeBusy,
		advice: "The server is busy; hoist keeps trying and shows the next try's time."},
	{words: []string{"speaks tls"},
		advice: "The server speaks TLS: use a tls:// address for it."},
	{words: []string{"not installed"},
		advice: "hoist must be installed on the remote host and on its PATH for ssh://; see --remote-command."},
	{words: []string{"host key verification failed"},
		advice: "Fix ssh first: `ssh user@host hoist --version` must work without a prompt."},
	{words: []string{"ssh", "permission denied"},
		advice: "Fix ssh first: `ssh user@host hoist --version` must work without a prompt."},
	{words: []string{"no such host"},
		advice: "The server's host name does not resolve: check the server address in hoist's configuration, and the network."},
	{words: []string{"permission denied"},
		advice: "hoist may not read this file or directory: check its permissions, or leave it out."},
	{words: []string{"connection refused"},
		advice: "Nothing listens at the server's address: the server is down or the address is wrong. hoist keeps trying and shows the next try's time (--retry-attempts limits it)."},
	{words: []string{"reset by peer"},
		advice: "The connection to the server dropped. hoist reconnects on its own and sends only what the server does not hold yet."},
	{words: []string{"broken pipe"},
		advice: "The connection to the server dropped. hoist reconnects on its own and sends only what the server does not hold yet."},
	{words: []string{"timeout"},
		advice: "The server is unreachable or slow; hoist keeps trying and shows the next try's time (--retry-attempts limits it)."},
}

// hintFor returns what to do about err, from README's Troubleshooting
// section, or "" when there is no advice beyond the error itself.
func hintFor(err error) string {
	if err == nil {
		return ""
	}
	text := strings.ToLower(err.Error())
	code := refusalCode(err, text)
	for _, h := range hints {
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

// refusalWords are how transfer/client words server refusals; an error
// that lost its *wire.Error on the way (printed and wrapped as text) is
// still recognised by them.
var refusalWords = map[string]wire.Code{
	"token refused by server":                 wire.CodeUnauthorized,
	"not allowed by server":                   wire.CodeForbidden,
	"over quota":                              wire.CodeQuota,
	"too large for server":                    wire.CodeTooLarge,
	"request refused by server":               wire.CodeBadRequest,
	"conflicts with an upload of the same id": wire.CodeConflict,
	"server busy":                             wire.CodeBusy,
}

// refusalCode is the code of the server refusal err is, or "".
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
	for words, c := range refusalWords {
		if strings.Contains(text, words) {
			return c
		}
	}
	return ""
}
