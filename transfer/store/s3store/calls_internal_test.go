package s3store

import "testing"

// TestOperationNames: every S3 operation ID the store calls becomes the
// snake-case name listed in Operations.
func TestOperationNames(t *testing.T) {
	for id, want := range map[string]string{
		"HeadBucket": "head_bucket", "PutObject": "put_object", "GetObject": "get_object", "HeadObject": "head_object",
		"DeleteObject": "delete_object", "ListObjectsV2": "list_objects_v2", "ListMultipartUploads": "list_multipart_uploads",
		"CreateMultipartUpload": "create_multipart_upload", "UploadPart": "upload_part", "UploadPartCopy": "upload_part_copy",
		"ListParts": "list_parts", "CompleteMultipartUpload": "complete_multipart_upload", "AbortMultipartUpload": "abort_multipart_upload",
	} {
		got := snakeCase(id)
		if got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", id, got, want)
		}
		found := false
		for _, op := range Operations {
			found = found || op == got
		}
		if !found {
			t.Errorf("%s is not in Operations", got)
		}
	}
}
