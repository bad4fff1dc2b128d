package config

import (
	"errors"
	"fmt"
)

// validateClient reports settings that are well-formed but unusable, with
// where each came from.
func validateClient(c *Client, src *Sources) error {
	var errs []error
	check := func(ok bool, key, want string) {
		if !ok {
			errs = append(errs, invalid(clientFields, c, src, key, want))
		}
	}
	check(c.ChunkSize > 0, "chunk_size", "must be at least 1 byte")
	check(c.Window.Chunks > 0, "window.chunks", "must be at least 1")
	check(c.Window.Bytes > 0, "window.bytes", "must be at least 1 byte")
	check(c.Retry.Base > 0, "retry.base", "must be more than 0")
	check(c.Retry.Cap >= c.Retry.Base, "retry.cap", "must not be less than retry.base")
	check(c.ReadTimeout > 0, "read_timeout", "must be more than 0")
	return errors.Join(errs...)
}

// validateServer reports server settings that are well-formed but unusable.
func validateServer(s *Server, src *Sources) error {
	var errs []error
	check := func(ok bool, key, want string) {
		if !ok {
			errs = append(errs, invalid(serverFields, s, src, key, want))
		}
	}
	check(s.Root != "", "serve.root", "must name a directory (there is no home directory to default to)")
	check(s.TLSCert == "" || s.TLSKey != "", "serve.tls_cert", "needs serve.tls_key as well")
	check(s.TLSKey == "" || s.TLSCert != "", "serve.tls_key", "needs serve.tls_cert as well")
	check(s.JWT.SecretFile == "" || s.JWT.PublicKeyFile == "", "serve.jwt.public_key_file", "cannot be used with serve.jwt.secret_file: set one of them")
	check(s.Limits.MaxConnections > 0, "serve.limits.max_connections", "must be at least 1")
	check(s.Limits.MaxFiles > 0, "serve.limits.max_files", "must be at least 1")
	check(s.Limits.MaxTagLength > 0, "serve.limits.max_tag_length", "must be at least 1")
	check(s.Limits.MaxChunkSize > 0, "serve.limits.max_chunk_size", "must be at least 1 byte")
	check(s.Limits.IdleTimeout > 0, "serve.limits.idle_timeout", "must be more than 0")
	check(s.Limits.FrameTimeout > 0, "serve.limits.frame_timeout", "must be more than 0")
	check(s.Limits.PartialExpiry > 0, "serve.limits.partial_expiry", "must be more than 0")
	check(s.DrainDelay >= 0, "serve.drain_delay", "cannot be negative")
	return errors.Join(errs...)
}

// invalid describes a bad setting: its key, value, source and the problem.
func invalid[T any](fields []field[T], settings *T, src *Sources, key, problem string) error {
	for _, f := range fields {
		if f.key == key {
			return fmt.Errorf("%s = %s (%s) %s", key, f.bind(settings).toml(), src.Of(key), problem)
		}
	}
	return fmt.Errorf("%s %s", key, problem)
}
