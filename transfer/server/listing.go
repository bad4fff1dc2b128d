package server

import (
	"errors"
	"strings"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
	"golang.org/x/text/unicode/norm"
)

// identify returns the user a request with token acts as: the token's
// subject when token is not empty (it decides, whatever the connection's
// user), else the connection's user; a connection without one is
// unauthorized.
func (s *session) identify(token string) (string, *wire.Error) {
	if token == "" {
		if s.user == "" {
			return "", wire.Errorf(wire.CodeUnauthorized, "no token, and this connection has no user yet; send a token")
		}
		return s.user, nil
	}
	user, err := s.srv.opts.Verifier.Verify(token)
	if err != nil {
		return "", wire.Errorf(wire.CodeUnauthorized, "%v", err)
	}
	if err := store.SafeName(user); err != nil {
		return "", wire.Errorf(wire.CodeUnauthorized, "the token's subject cannot name a user: %v", err)
	}
	return user, nil
}

// requestHead decodes and checks the head of a LIST or REMOVE and names
// its user; on failure it answers and returns false.
func (s *session) requestHead(payload []byte, what wire.UserType) (*wire.RequestHead, string, bool) {
	head, err := wire.DecodeRequestHead(payload, what)
	if err != nil {
		s.replyErr(messageID(payload), toWireError(err))
		return nil, "", false
	}
	if len(head.MessageID) > MaxMessageID {
		s.replyErr("", wire.Errorf(wire.CodeBadRequest, "message-id is %d bytes, limit %d", len(head.MessageID), MaxMessageID))
		return nil, "", false
	}
	user, werr := s.identify(head.Token)
	if werr != nil {
		s.log.Info("request refused", "type", what.String(), "code", werr.Code, "reason", werr.Reason)
		s.replyErr(head.MessageID, werr)
		return nil, "", false
	}
	if head.Token != "" {
		s.user = user
	}
	return head, user, true
}

// listFrameBudget is the most bytes of file entries one LIST answer
// carries, leaving room in the frame for the rest of the answer.
const listFrameBudget = wire.MaxPayload - 64<<10

// handleList answers a LIST with one page of the user's files.
func (s *session) handleList(payload []byte) {
	head, user, ok := s.requestHead(payload, wire.TypeList)
	if !ok {
		return
	}
	l, err := wire.DecodeList(payload)
	if err != nil {
		s.replyErr(head.MessageID, toWireError(err))
		return
	}
	limit := l.Limit
	if limit == 0 || limit > wire.MaxListLimit {
		limit = wire.MaxListLimit
	}
	q := store.ListQuery{Owner: user, Prefix: norm.NFC.String(l.Prefix), Tags: l.Tags, After: l.After, Limit: limit}
	for i, p := range l.Paths {
		p = norm.NFC.String(p)
		if err := store.SafePath(p); err != nil {
			s.replyErr(head.MessageID, wire.Errorf(wire.CodeBadRequest, "path %d: %v", i, err))
			return
		}
		q.Paths = append(q.Paths, p)
	}
	page, err := s.srv.st.Records.ListFiles(s.ctx, q)
	if err != nil {
		s.log.Error("listing files", "user", user, "err", err)
		s.replyErr(head.MessageID, wire.Errorf(wire.CodeInternal, "listing your files failed; try again later"))
		return
	}
	resp := wire.OKResponse(head.MessageID)
	lim := s.srv.limits
	resp.Limits = &wire.ServerLimits{MaxFiles: lim.MaxFiles, MaxFileSize: lim.MaxFileSize, MaxChunkSize: lim.MaxChunkSize}
	resp.Next = page.Next
	used := 0
	for _, f := range page.Files {
		tags := f.Tags
		if tags == nil {
			tags = []string{}
		}
		lf := wire.ListedFile{Name: f.Stored, Size: f.Size, SHA256: f.SHA256, Tags: tags, Time: f.Completed.UTC()}
		// JSON may escape a byte as six (\u003c), and a name is at most a
		// few KiB: cut the page before it could outgrow the frame.
		cost := 128 + 6*(len(lf.Name)+len(lf.SHA256)+len(strings.Join(lf.Tags, ",")))
		if used+cost > listFrameBudget && len(resp.Files) > 0 {
			resp.Next = resp.Files[len(resp.Files)-1].Name
			break
		}
		used += cost
		resp.Files = append(resp.Files, lf)
	}
	s.send(reply{full: resp})
}

// handleRemove answers a REMOVE: every path removed, or none.
func (s *session) handleRemove(payload []byte) {
	head, user, ok := s.requestHead(payload, wire.TypeRemove)
	if !ok {
		return
	}
	r, err := wire.DecodeRemove(payload)
	if err != nil {
		s.replyErr(head.MessageID, toWireError(err))
		return
	}
	paths := make([]string, len(r.Paths))
	total := 0
	for i, p := range r.Paths {
		paths[i] = norm.NFC.String(p)
		if err := store.SafePath(paths[i]); err != nil {
			s.replyErr(head.MessageID, wire.Errorf(wire.CodeBadRequest, "path %d: %v", i, err))
			return
		}
		total += len(paths[i])
	}
	// The answer repeats the paths: bound them as normalised, too (JSON
	// escapes a byte into at most six, so 1 MiB of paths fits a frame).
	if total > wire.MaxRemoveBytes {
		s.replyErr(head.MessageID, wire.Errorf(wire.CodeTooLarge, "the paths of one REMOVE are %d bytes together once normalised, limit %d; split the request", total, wire.MaxRemoveBytes))
		return
	}
	srv := s.srv
	// The records go first, in one transaction; bytes whose deletion then
	// fails are only disk space, never a listed file without its bytes.
	removed, err := srv.st.Records.RemoveFiles(s.ctx, user, paths)
	if errors.Is(err, store.ErrFileNotFound) {
		s.replyErr(head.MessageID, wire.Errorf(wire.CodeNotFound, "%v among your files; nothing was removed", err))
		return
	}
	if err != nil {
		s.log.Error("removing files", "user", user, "err", err)
		s.replyErr(head.MessageID, wire.Errorf(wire.CodeInternal, "removing your files failed; nothing was removed; try again later"))
		return
	}
	resp := wire.OKResponse(head.MessageID)
	for _, f := range removed {
		if err := srv.st.Publisher.Unpublish(s.ctx, user, f.Stored); err != nil {
			srv.log.Warn("removed file's bytes left on disk", "user", user, "stored", f.Stored, "err", err)
		}
		resp.Removed = append(resp.Removed, f.Stored)
		srv.log.Info("file removed", "user", user, "stored", f.Stored, "size", f.Size)
	}
	srv.catalogChanged()
	s.send(reply{full: resp})
}
