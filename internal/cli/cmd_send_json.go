package cli

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// jsonReporter prints every event as one JSON object per line.
type jsonReporter struct {
	enc *json.Encoder
}

// The JSON shapes of events, with "type" telling them apart.
type (
	jsonSession struct {
		Type    string     `json:"type"` // "session"
		FID     string     `json:"fid"`
		Time    time.Time  `json:"time"`
		State   string     `json:"state"`
		Attempt int        `json:"attempt,omitempty"`
		RetryAt *time.Time `json:"retry_at,omitempty"`
		Error   string     `json:"error,omitempty"`
	}
	jsonChunk struct {
		Type   string    `json:"type"` // "chunk"
		FID    string    `json:"fid"`
		Time   time.Time `json:"time"`
		File   int       `json:"file"`
		Index  uint64    `json:"index"`
		Size   int       `json:"size"`
		Action string    `json:"action"` // sent, acknowledged, resent
		Reason string    `json:"reason,omitempty"`
	}
	jsonProgress struct {
		Type               string     `json:"type"` // "progress"
		FID                string     `json:"fid"`
		Time               time.Time  `json:"time"`
		State              string     `json:"state"`
		WireBytes          uint64     `json:"wire_bytes"`
		Rate               float64    `json:"rate"`
		WindowBytes        int64      `json:"window_bytes"`
		DroppedChunkEvents uint64     `json:"dropped_chunk_events"`
		Files              []jsonFile `json:"files"`
	}
	jsonFile struct {
		Index       int    `json:"index"`
		Name        string `json:"name"`
		Path        string `json:"path"`
		Size        uint64 `json:"size"`
		ChunkSize   int    `json:"chunk_size"`
		Chunks      uint64 `json:"chunks"`
		AckedChunks uint64 `json:"acked_chunks"`
		AckedBytes  uint64 `json:"acked_bytes"`
		InFlight    int    `json:"in_flight"`
		Retries     int    `json:"retries"`
		State       string `json:"state"`
		SHA256      string `json:"sha256,omitempty"`
		// Stored is the path the server stored the file under, once
		// complete; it differs from Name when that path was taken.
		Stored string `json:"stored,omitempty"`
		Error  string `json:"error,omitempty"`
	}
	jsonJob struct {
		Type         string    `json:"type"` // "job"
		Job          string    `json:"job"`
		Time         time.Time `json:"time"`
		Kind         string    `json:"kind"` // walking, part_started, note, done
		FID          string    `json:"fid,omitempty"`
		Part         int       `json:"part,omitempty"`
		Parts        int       `json:"parts"`
		Walk         jsonWalk  `json:"walk"`
		AlreadyThere int       `json:"already_there"`
		Note         string    `json:"note,omitempty"`
		Error        string    `json:"error,omitempty"`
	}
	jsonWalk struct {
		Files      int    `json:"files"`
		Bytes      uint64 `json:"bytes"`
		Dirs       int    `json:"dirs"`
		EmptyDirs  int    `json:"empty_dirs"`
		Excluded   int    `json:"excluded"`
		Skipped    int    `json:"skipped"`
		Unsendable int    `json:"unsendable"`
		Done       bool   `json:"done"`
	}
	jsonAlreadyThere struct {
		Type   string    `json:"type"` // "already_there"
		Job    string    `json:"job"`
		Time   time.Time `json:"time"`
		Path   string    `json:"path"`
		Name   string    `json:"name"`
		Stored string    `json:"stored"`
		Size   uint64    `json:"size"`
		SHA256 string    `json:"sha256"`
	}
)

func (r *jsonReporter) event(ev client.Event) {
	switch ev := ev.(type) {
	case *client.SessionEvent:
		j := jsonSession{Type: "session", FID: ev.FID, Time: ev.At, State: ev.State.String(), Attempt: ev.Attempt}
		if !ev.RetryAt.IsZero() {
			j.RetryAt = &ev.RetryAt
		}
		if ev.Err != nil {
			j.Error = ev.Err.Error()
		}
		r.enc.Encode(j)
	case *client.ChunkEvent:
		r.enc.Encode(jsonChunk{Type: "chunk", FID: ev.FID, Time: ev.At, File: ev.File, Index: ev.Index,
			Size: ev.Size, Action: ev.Action.String(), Reason: ev.Reason})
	case *client.ProgressEvent:
		j := jsonProgress{Type: "progress", FID: ev.FID, Time: ev.At, State: ev.State.String(),
			WireBytes: ev.WireBytes, Rate: ev.Rate, WindowBytes: ev.WindowBytes, DroppedChunkEvents: ev.DroppedChunkEvents}
		for _, f := range ev.Files {
			jf := jsonFile{Index: f.Index, Name: f.Name, Path: f.Path, Size: f.Size, ChunkSize: f.ChunkSize,
				Chunks: f.Chunks, AckedChunks: f.AckedChunks, AckedBytes: f.AckedBytes, InFlight: f.InFlight,
				Retries: f.Retries, State: f.State.String(), SHA256: f.SHA256, Stored: f.Stored}
			if f.Err != nil {
				jf.Error = f.Err.Error()
			}
			j.Files = append(j.Files, jf)
		}
		r.enc.Encode(j)
	case *client.JobEvent:
		w := ev.Walk
		j := jsonJob{Type: "job", Job: ev.Job, Time: ev.At, Kind: strings.ReplaceAll(ev.Kind.String(), " ", "_"), FID: ev.FID, Part: ev.Part,
			Parts: ev.Parts, AlreadyThere: ev.AlreadyThere, Note: ev.Note,
			Walk: jsonWalk{Files: w.Files, Bytes: w.Bytes, Dirs: w.Dirs, EmptyDirs: w.EmptyDirs, Excluded: w.Excluded, Skipped: w.Skipped, Unsendable: w.Unsendable, Done: w.Done}}
		if ev.Err != nil {
			j.Error = ev.Err.Error()
		}
		r.enc.Encode(j)
	case *client.AlreadyThereEvent:
		r.enc.Encode(jsonAlreadyThere{Type: "already_there", Job: ev.Job, Time: ev.At, Path: ev.Path, Name: ev.Name, Stored: ev.Stored, Size: ev.Size, SHA256: ev.SHA256})
	}
}

func (r *jsonReporter) interrupted() {}
func (r *jsonReporter) close()       {}
