package s3store

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/aws/smithy-go/middleware"

	"github.com/hoist-dev/hoist/transfer/store"
)

// Operations are the names under which the store reports its S3 calls to
// Options.Calls: the S3 API operations it uses, in snake case.
var Operations = []string{
	"head_bucket", "put_object", "get_object", "head_object", "delete_object",
	"list_objects_v2", "list_multipart_uploads", "create_multipart_upload",
	"upload_part", "upload_part_copy", "list_parts", "complete_multipart_upload",
	"abort_multipart_upload",
}

// callTimer returns an S3 API option that times every call of the
// operation a middleware stack serves, retries included, and reports it
// to calls.
func callTimer(calls store.CallObserver) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		op := snakeCase(stack.ID())
		timer := middleware.InitializeMiddlewareFunc("HoistCallTimer", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			reported := err
			if expectedAnswer(op, err) {
				reported = nil
			}
			calls.Call(op, time.Since(start), reported)
			return out, md, err
		})
		return stack.Initialize.Add(timer, middleware.Before)
	}
}

// expectedAnswer reports whether err is an answer the store asks for and
// handles rather than a failure: a missing key or multipart upload, a
// conditional write refused, a read past the end, an object HEAD finding
// nothing.
func expectedAnswer(op string, err error) bool {
	if err == nil {
		return false
	}
	switch code := apiCode(err); code {
	case "NoSuchKey", "NoSuchUpload", "InvalidRange", "PreconditionFailed", "ConditionalRequestConflict":
		return true
	case "NotFound":
		return op == "head_object"
	}
	return false
}

// snakeCase turns an operation ID such as "ListObjectsV2" into
// "list_objects_v2".
func snakeCase(id string) string {
	var b strings.Builder
	runes := []rune(id)
	for i, r := range runes {
		boundary := i > 0 && (unicode.IsUpper(r) || unicode.IsDigit(r) && !unicode.IsDigit(runes[i-1]))
		if boundary && unicode.IsUpper(runes[i-1]) && (i+1 == len(runes) || !unicode.IsLower(runes[i+1])) {
			boundary = false // inside an acronym
		}
		if boundary {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
