package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// ErrServerTooOld means the server does not know LIST and REMOVE (it
// answered them bad-request): it cannot list or remove files, and trees go
// up without skipping files already there.
var ErrServerTooOld = errors.New("the server is older than listing and removing files; upgrade it")

// DefaultMaxFiles is the files-per-upload limit assumed for a server that
// does not say (one older than LIST).
const DefaultMaxFiles = 1000

// RemoteFile is one of the user's files on the server, as LIST shows it.
type RemoteFile struct {
	// Path is where the server stored the file, relative to the user's
	// area: the path sent, or the new name the server chose.
	Path   string
	Size   uint64
	SHA256 string
	Tags   []string
	Time   time.Time
}

// ServerLimits are the server's limits that shape uploads.
type ServerLimits struct {
	// MaxFiles is the most files one upload may have; a tree with more
	// goes up as several uploads of one job.
	MaxFiles     int
	MaxFileSize  int64
	MaxChunkSize int
}

// ListQuery selects files to list; the zero value lists every file.
type ListQuery struct {
	// Prefix keeps paths that begin with it ("photos/" for a directory).
	Prefix string
	// Tags keeps files that carry every one of them.
	Tags []string
}

// remote is a connection for LIST and REMOVE requests, one at a time.
type remote struct {
	c     conn
	r     *wire.Reader
	w     *wire.Writer
	token string
	stop  func() bool
}

// dialRemote connects to the engine's server for listing or removing.
func (e *Engine) dialRemote(ctx context.Context) (*remote, error) {
	ep, err := parseServer(e.opts.Server)
	if err != nil {
		return nil, err
	}
	token, err := e.opts.Token.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the token: %w", err)
	}
	c, _, err := e.dialer.dial(ctx, ep)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", e.opts.Server, err)
	}
	return &remote{c: c, r: wire.NewReader(c), w: wire.NewWriter(c), token: token,
		stop: context.AfterFunc(ctx, func() { c.Close() })}, nil
}

func (r *remote) close() {
	r.stop()
	r.c.Close()
}

// request sends one LIST or REMOVE and returns the server's Ok.
func (r *remote) request(typ wire.UserType, id string, msg any) (*wire.Response, error) {
	payload, err := wire.EncodeJSON(msg)
	if err != nil {
		return nil, err
	}
	if err := r.w.WriteFrame(typ, payload); err != nil {
		return nil, fmt.Errorf("sending %v: %w", typ, err)
	}
	if err := r.w.Flush(); err != nil {
		return nil, fmt.Errorf("sending %v: %w", typ, err)
	}
	fr, err := r.r.ReadFrame()
	if err != nil {
		return nil, fmt.Errorf("waiting for the answer to %v: %w", typ, err)
	}
	resp, err := decodeResponse(fr)
	if err != nil {
		return nil, err
	}
	if resp.MessageID != id {
		return nil, protocolErrorf("%v answered with message-id %q, sent %q", typ, resp.MessageID, id)
	}
	if err := resp.Err(); err != nil {
		if errors.Is(err, wire.ErrBadRequest) {
			return nil, fmt.Errorf("%w (%v answered: %v)", ErrServerTooOld, typ, err)
		}
		return nil, refused(err)
	}
	return resp, nil
}

// list asks for one page.
func (r *remote) list(q wire.List) (*wire.Response, error) {
	q.MessageID = uuid.NewString()
	q.Token = r.token
	return r.request(wire.TypeList, q.MessageID, &q)
}

func remoteFile(f wire.ListedFile) RemoteFile {
	return RemoteFile{Path: f.Name, Size: f.Size, SHA256: f.SHA256, Tags: f.Tags, Time: f.Time}
}

func serverLimits(l *wire.ServerLimits) ServerLimits {
	out := ServerLimits{MaxFiles: DefaultMaxFiles}
	if l != nil {
		out = ServerLimits{MaxFiles: l.MaxFiles, MaxFileSize: l.MaxFileSize, MaxChunkSize: l.MaxChunkSize}
		if out.MaxFiles <= 0 {
			out.MaxFiles = DefaultMaxFiles
		}
	}
	return out
}

// List lists the user's files on the server that q selects, page by page,
// calling each for every file in path order, and returns the server's
// limits. An error from each stops the listing and is returned.
func (e *Engine) List(ctx context.Context, q ListQuery, each func(RemoteFile) error) (ServerLimits, error) {
	r, err := e.dialRemote(ctx)
	if err != nil {
		return ServerLimits{}, err
	}
	defer r.close()
	req := wire.List{Prefix: q.Prefix, Tags: slices.Clone(q.Tags)}
	for {
		resp, err := r.list(req)
		if err != nil {
			return ServerLimits{}, ctxErr(ctx, err)
		}
		for _, f := range resp.Files {
			if err := each(remoteFile(f)); err != nil {
				return serverLimits(resp.Limits), err
			}
		}
		if resp.Next == "" {
			return serverLimits(resp.Limits), nil
		}
		if resp.Next <= req.After {
			return ServerLimits{}, protocolErrorf("LIST cursor went from %q back to %q", req.After, resp.Next)
		}
		req.After = resp.Next
	}
}

// Remove deletes the user's files at paths (stored paths, as List shows
// them) and returns the paths removed. It is all or nothing: if one path is
// not the user's file, the server removes none and the error (wrapping
// wire.ErrNotFound) names it.
func (e *Engine) Remove(ctx context.Context, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("nothing to remove: no paths")
	}
	if len(paths) > wire.MaxListPaths {
		return nil, fmt.Errorf("at most %d paths at once, not %d", wire.MaxListPaths, len(paths))
	}
	r, err := e.dialRemote(ctx)
	if err != nil {
		return nil, err
	}
	defer r.close()
	req := wire.Remove{MessageID: uuid.NewString(), Token: r.token, Paths: paths}
	resp, err := r.request(wire.TypeRemove, req.MessageID, &req)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	return resp.Removed, nil
}

// ctxErr prefers the context's error when it ended the request.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Lookup returns the user's files on the server at exactly these paths
// (at most wire.MaxListPaths), by path; paths the user has no file at are
// absent. The terminal UI uses it to mark local files already on the
// server; compare sizes (and, to be sure, sha256) before trusting a mark.
func (e *Engine) Lookup(ctx context.Context, paths []string) (map[string]RemoteFile, error) {
	if len(paths) > wire.MaxListPaths {
		return nil, fmt.Errorf("at most %d paths at once, not %d", wire.MaxListPaths, len(paths))
	}
	out := make(map[string]RemoteFile, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	r, err := e.dialRemote(ctx)
	if err != nil {
		return nil, err
	}
	defer r.close()
	req := wire.List{Paths: slices.Clone(paths)}
	for {
		resp, err := r.list(req)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		for _, f := range resp.Files {
			out[f.Name] = remoteFile(f)
		}
		if resp.Next == "" || resp.Next <= req.After {
			return out, nil
		}
		req.After = resp.Next
	}
}
