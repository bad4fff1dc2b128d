package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/uuid"

	"github.com/hoist-dev/hoist/transfer/client"
)

// DefaultIdleTimeout is how long an agent with no uploads and no clients
// waits before it exits.
const DefaultIdleTimeout = 5 * time.Minute

// maxLine bounds one request line.
const maxLine = 1 << 20

// EngineFactory makes the engine for uploads with settings s.
type EngineFactory func(s Settings) (*client.Engine, error)

// Config configures an agent.
type Config struct {
	// Dir holds the socket and the lock file; it is created with mode 0700.
	Dir string
	// NewEngine makes engines.
	NewEngine EngineFactory
	// IdleTimeout: exit after this long without uploads and clients; 0
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Logger logs connections and refusals; nil discards.
	Logger *slog.Logger
}

// SocketPath is the agent's socket in dir.
func SocketPath(dir string) string { return filepath.Join(dir, "agent.sock") }

func lockPath(dir string) string { return filepath.Join(dir, "agent.lock") }

// AlreadyRunningError: another agent holds the lock.
type AlreadyRunningError struct {
	PID    int
	Socket string
}

func (e *AlreadyRunningError) Error() string {
	return fmt.Sprintf("a hoist agent already runs (pid %d) on %s", e.PID, e.Socket)
}

// Server is a running agent.
type Server struct {
	cfg  Config
	log  *slog.Logger
	lock *flock.Flock
	ln   *net.UnixListener
	hub  *hub

	mu       sync.Mutex
	engines  map[string]*client.Engine
	conns    map[net.Conn]struct{}
	lastBusy time.Time
	wake     chan struct{}
	wg       sync.WaitGroup
}

// Listen claims the agent's lock in cfg.Dir and listens on its socket. It
// fails with *AlreadyRunningError when another agent runs.
func Listen(cfg Config) (*Server, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent directory: %w", err)
	}
	if err := os.Chmod(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent directory: %w", err)
	}
	fl := flock.New(lockPath(cfg.Dir), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", lockPath(cfg.Dir), err)
	}
	if !ok {
		return nil, &AlreadyRunningError{PID: ReadPID(cfg.Dir), Socket: SocketPath(cfg.Dir)}
	}
	// We hold the lock, so a socket left here is a dead agent's.
	sock := SocketPath(cfg.Dir)
	_ = os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("agent socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		fl.Unlock()
		return nil, fmt.Errorf("agent socket: %w", err)
	}
	if err := os.WriteFile(lockPath(cfg.Dir), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		ln.Close()
		fl.Unlock()
		return nil, fmt.Errorf("agent lock file: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, lock: fl, ln: ln,
		engines: map[string]*client.Engine{}, conns: map[net.Conn]struct{}{},
		lastBusy: time.Now(), wake: make(chan struct{}, 1)}
	s.hub = newHub(s.poke)
	return s, nil
}

// ReadPID returns the pid the agent in dir wrote into its lock file, or 0.
func ReadPID(dir string) int {
	b, err := os.ReadFile(lockPath(dir))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Socket returns the socket's path.
func (s *Server) Socket() string { return SocketPath(s.cfg.Dir) }

func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Serve answers clients until ctx ends or the agent has been idle for the
// idle timeout, then stops every upload (they stay in the journal), closes
// the connections and removes the socket. It returns nil when it stopped
// for being idle or ctx ended.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	acceptErr := make(chan error, 1)
	s.wg.Go(func() { acceptErr <- s.accept(ctx) })
	err := s.idleLoop(ctx, acceptErr)
	cancel()
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	engines := s.engines
	s.engines = nil
	s.mu.Unlock()
	// Closing the engines ends the uploads (their journal entries stay)
	// and the goroutines that follow them.
	for _, e := range engines {
		e.Close()
	}
	s.wg.Wait()
	// The pid goes before the lock: no one is sent to a pid that may be
	// reused.
	_ = os.Truncate(lockPath(s.cfg.Dir), 0)
	s.lock.Unlock()
	return err
}

// idleLoop returns when ctx ends, accepting fails, or the agent is idle.
func (s *Server) idleLoop(ctx context.Context, acceptErr <-chan error) error {
	every := min(time.Second, max(s.cfg.IdleTimeout/5, 10*time.Millisecond))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-acceptErr:
			return err
		case <-t.C:
		case <-s.wake:
		}
		busy := s.hub.running() > 0
		s.mu.Lock()
		busy = busy || len(s.conns) > 0
		if busy {
			s.lastBusy = time.Now()
		}
		idle := time.Since(s.lastBusy)
		s.mu.Unlock()
		if !busy && idle >= s.cfg.IdleTimeout {
			s.log.Info("no uploads and no clients: exiting", "idle", idle.Round(time.Millisecond))
			return nil
		}
	}
}

func (s *Server) accept(ctx context.Context) error {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("agent socket: %w", err)
		}
		if err := checkPeer(c); err != nil {
			s.log.Warn("refused a connection", "err", err)
			writeMessage(c, Message{Error: err.Error()})
			c.Close()
			continue
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.lastBusy = time.Now()
		s.mu.Unlock()
		s.wg.Go(func() {
			s.serveConn(ctx, c)
			s.mu.Lock()
			delete(s.conns, c)
			s.lastBusy = time.Now()
			s.mu.Unlock()
			s.poke()
		})
	}
}

// checkPeer refuses a peer of another user.
func checkPeer(c *net.UnixConn) error {
	uid, err := peerUID(c)
	if err != nil {
		return fmt.Errorf("refused: cannot tell who connected: %w", err)
	}
	if uid != os.Getuid() {
		return fmt.Errorf("refused: this hoist agent serves uid %d only, and you are uid %d", os.Getuid(), uid)
	}
	return nil
}

func writeMessage(w io.Writer, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// conn is one client connection: requests are answered in their own
// goroutines (a wait may take hours), writes are serialised.
type conn struct {
	s   *Server
	c   net.Conn
	wmu sync.Mutex
	wg  sync.WaitGroup
}

func (cn *conn) write(m Message) error {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	return writeMessage(cn.c, m)
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	cn := &conn{s: s, c: c}
	defer func() {
		cancel()
		c.Close()
		cn.wg.Wait()
	}()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	greeted := false
	for sc.Scan() {
		var req Request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			cn.write(Message{Error: fmt.Sprintf("not a request of the agent protocol: %v", err)})
			return
		}
		if !greeted {
			if req.Op != OpHello || req.Version != Version {
				cn.write(Message{ID: req.ID, Error: versionMismatch(req.Version)})
				return
			}
			greeted = true
			cn.write(Message{ID: req.ID, Hello: &Hello{Version: Version, PID: os.Getpid()}})
			continue
		}
		if req.Op == OpSubscribe {
			cn.wg.Go(func() { cn.subscribe(ctx, req.ID) })
			continue
		}
		cn.wg.Go(func() {
			m := s.handle(ctx, req)
			m.ID = req.ID
			cn.write(m)
		})
	}
}

func versionMismatch(v int) string {
	return fmt.Sprintf("the hoist agent speaks agent protocol version %d, this hoist speaks version %d: "+
		"use the same hoist version, or stop the agent (kill %d; its uploads stay in the journal) and try again",
		Version, v, os.Getpid())
}

// subscribe streams the replay and then every event until the connection
// or the agent ends, or the client falls too far behind.
func (cn *conn) subscribe(ctx context.Context, id uint64) {
	sub, infos, jobs := cn.s.hub.subscribe()
	defer cn.s.hub.unsubscribe(sub)
	if cn.write(Message{ID: id, Uploads: infos, Jobs: jobs}) != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.dropped:
			cn.s.log.Warn("a subscriber fell behind: disconnected")
			cn.c.Close()
			return
		case m := <-sub.out:
			if cn.write(m) != nil {
				return
			}
		}
	}
}

// engine returns the engine for settings, making it the first time.
func (s *Server) engine(set *Settings) (*client.Engine, error) {
	if set == nil {
		return nil, errors.New("the request has no connection settings")
	}
	key := set.key()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engines == nil {
		return nil, client.ErrClosed
	}
	if e := s.engines[key]; e != nil {
		return e, nil
	}
	e, err := s.cfg.NewEngine(*set)
	if err != nil {
		return nil, err
	}
	s.engines[key] = e
	s.wg.Go(func() {
		for ev := range e.Events() {
			s.hub.record(ev)
		}
	})
	return e, nil
}

// track follows a launched upload until it ends.
func (s *Server) track(ctx context.Context, r *record) {
	s.log.Info("upload started", "fid", r.info.FID, "server", r.info.Server, "files", len(r.info.Files))
	s.poke()
	s.wg.Go(func() {
		err := r.engine.Wait(context.WithoutCancel(ctx), r.info.FID)
		s.log.Info("upload ended", "fid", r.info.FID, "err", err)
		s.hub.finish(r, err)
	})
}

func (s *Server) handle(ctx context.Context, req Request) Message {
	switch req.Op {
	case OpStart:
		return s.start(ctx, req)
	case OpStartTree:
		return s.startTree(ctx, req)
	case OpPause, OpResume, OpCancel, OpRetryNow:
		if j, ok := s.job(req.FID); ok {
			return s.handleJob(req.Op, j)
		}
		r, err := s.hub.lookup(req.FID)
		if err != nil {
			return Message{Error: err.Error()}
		}
		fid := r.info.FID
		switch req.Op {
		case OpPause:
			err = r.engine.Pause(fid)
		case OpResume:
			err = r.engine.Resume(fid)
		case OpCancel:
			err = r.engine.Cancel(fid)
		default:
			err = r.engine.RetryNow(fid)
		}
		if err != nil {
			return Message{FID: fid, Error: err.Error()}
		}
		return Message{FID: fid}
	case OpList:
		ups, jobs := s.hub.list()
		return Message{Uploads: ups, Jobs: jobs}
	case OpWait:
		if j, ok := s.job(req.FID); ok {
			select {
			case <-j.done:
			case <-ctx.Done():
				return Message{Job: j.id, Error: "the agent stopped before the job ended"}
			}
			if j.err != nil {
				return Message{Job: j.id, Error: j.err.Error()}
			}
			return Message{Job: j.id}
		}
		r, err := s.hub.lookup(req.FID)
		if err != nil {
			return Message{Error: err.Error()}
		}
		select {
		case <-r.done:
		case <-ctx.Done():
			return Message{FID: r.info.FID, Error: "the agent stopped before the upload ended"}
		}
		if r.err != nil {
			return Message{FID: r.info.FID, Error: r.err.Error()}
		}
		return Message{FID: r.info.FID}
	case OpUnfinished:
		e, err := s.engine(req.Settings)
		if err != nil {
			return Message{Error: err.Error()}
		}
		entries, err := e.Unfinished()
		m := Message{}
		for _, en := range entries {
			u := UnfinishedInfo{FID: en.FID, Server: en.Server, Tags: en.Tags, Created: en.Created}
			for _, f := range en.Files {
				u.Files = append(u.Files, File{Path: f.Path, Name: f.Name, Size: f.Size})
			}
			m.Unfinished = append(m.Unfinished, u)
		}
		if err != nil {
			m.Error = err.Error()
		}
		return m
	case OpResumeUnfinished:
		return s.resumeUnfinished(ctx, req)
	case OpRateLimit:
		if req.Rate != nil && *req.Rate < 0 {
			return Message{Error: fmt.Sprintf("rate limit %d: want 0 (none) or more bytes per second", *req.Rate)}
		}
		e, err := s.engine(req.Settings)
		if err != nil {
			return Message{Error: err.Error()}
		}
		if req.Rate != nil {
			e.SetRateLimit(*req.Rate)
			s.log.Info("rate limit changed", "server", req.Settings.Server, "bytes_per_second", *req.Rate)
		}
		rate := e.RateLimit()
		return Message{Rate: &rate}
	}
	return Message{Error: fmt.Sprintf("the agent does not know the request %q", req.Op)}
}

func (s *Server) start(ctx context.Context, req Request) Message {
	e, err := s.engine(req.Settings)
	if err != nil {
		return Message{Error: err.Error()}
	}
	spec := client.Spec{Tags: req.Tags}
	if req.FID != "" {
		if spec.FID, err = uuid.Parse(req.FID); err != nil {
			return Message{Error: fmt.Sprintf("fid %q: %v", req.FID, err)}
		}
	} else {
		spec.FID = uuid.New()
	}
	if r, err := s.hub.lookup(spec.FID.String()); err == nil && r.info.FID == spec.FID.String() && !r.finished() {
		return Message{Error: fmt.Sprintf("upload %s is already running", spec.FID)}
	}
	info := UploadInfo{FID: spec.FID.String(), Server: req.Settings.Server, Tags: req.Tags, Started: time.Now().UTC()}
	for _, f := range req.Files {
		spec.Files = append(spec.Files, client.LocalFile{Path: f.Path, Name: f.Name})
		size := f.Size
		if fi, err := os.Stat(f.Path); err == nil {
			size = uint64(fi.Size())
		}
		info.Files = append(info.Files, File{Path: f.Path, Name: f.Name, Size: size})
	}
	// Announced before it starts, so that subscribers know its files when
	// its first events come.
	r := s.hub.add(info, e)
	fid, err := e.Start(spec)
	if err != nil {
		s.hub.finish(r, err)
		return Message{Error: err.Error()}
	}
	s.track(ctx, r)
	return Message{FID: fid}
}

func (s *Server) resumeUnfinished(ctx context.Context, req Request) Message {
	e, err := s.engine(req.Settings)
	if err != nil {
		return Message{Error: err.Error()}
	}
	fid, err := e.ResolveFID(req.FID)
	if err != nil {
		return Message{Error: err.Error()}
	}
	entries, _ := e.Unfinished()
	for _, en := range entries {
		if en.FID != fid {
			continue
		}
		info := UploadInfo{FID: en.FID, Server: en.Server, Tags: en.Tags, Started: en.Created}
		for _, f := range en.Files {
			info.Files = append(info.Files, File{Path: f.Path, Name: f.Name, Size: f.Size})
		}
		r := s.hub.add(info, e)
		if err := e.ResumeJournal(en); err != nil {
			s.hub.finish(r, err)
			return Message{FID: fid, Error: err.Error()}
		}
		s.track(ctx, r)
		return Message{FID: fid}
	}
	return Message{FID: fid, Error: fmt.Sprintf("upload %s is not unfinished in the journal (running elsewhere, or done)", fid)}
}

// job returns the job that id names (in full or by a unique prefix), if
// it names no upload: an upload's fid wins over a job's id.
func (s *Server) job(id string) (*jobRecord, bool) {
	if _, err := s.hub.lookup(id); !errors.Is(err, client.ErrUnknownUpload) {
		return nil, false
	}
	j, err := s.hub.lookupJob(id)
	return j, err == nil
}

// handleJob applies pause, resume and retry_now to a job's running part,
// and cancel to the whole job.
func (s *Server) handleJob(op string, j *jobRecord) Message {
	if op == OpCancel {
		if err := j.engine.CancelJob(j.id); err != nil {
			return Message{Job: j.id, Error: err.Error()}
		}
		return Message{Job: j.id}
	}
	s.hub.mu.Lock()
	fid := j.info.PartFID
	s.hub.mu.Unlock()
	if fid == "" {
		return Message{Job: j.id, Error: fmt.Sprintf("job %s has no part running yet (it is still looking at the files): try again", client.ShortFID(j.id))}
	}
	var err error
	switch op {
	case OpPause:
		err = j.engine.Pause(fid)
	case OpResume:
		err = j.engine.Resume(fid)
	default:
		err = j.engine.RetryNow(fid)
	}
	if err != nil {
		return Message{Job: j.id, FID: fid, Error: err.Error()}
	}
	return Message{Job: j.id, FID: fid}
}

// startTree starts a job (OpStartTree): its parts are uploads of their own,
// announced as they start.
func (s *Server) startTree(ctx context.Context, req Request) Message {
	t := req.Tree
	if t == nil || len(t.Paths) == 0 {
		return Message{Error: "start_tree needs tree.paths: the files and directories to send"}
	}
	for _, p := range t.Paths {
		if !filepath.IsAbs(p) {
			return Message{Error: fmt.Sprintf("path %q is relative: the agent runs in another directory, so send absolute paths", p)}
		}
	}
	x, err := client.NewExcludes(t.Exclude)
	if err != nil {
		return Message{Error: err.Error()}
	}
	if t.ExcludeWithin != "" {
		x = x.Within(t.ExcludeWithin)
	}
	e, err := s.engine(req.Settings)
	if err != nil {
		return Message{Error: err.Error()}
	}
	spec := client.TreeSpec{Paths: t.Paths, Tags: req.Tags, Exclude: x, SendAll: t.SendAll,
		SkipLinkedDirs: t.SkipLinkedDirs, Strict: t.Strict}
	j, err := s.hub.startJob(e, req.Settings.Server, t.Paths, req.Tags, func() (string, error) { return e.StartTree(spec) })
	if err != nil {
		return Message{Error: err.Error()}
	}
	s.log.Info("job started", "job", j.id, "server", req.Settings.Server, "paths", len(t.Paths))
	s.poke()
	s.wg.Go(func() {
		err := e.WaitJob(context.WithoutCancel(ctx), j.id)
		s.log.Info("job ended", "job", j.id, "err", err)
		s.hub.finishJob(j, err)
	})
	return Message{Job: j.id}
}
