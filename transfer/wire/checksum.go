package wire

import "hash/crc32"

// crc32cTable is the Castagnoli polynomial's table, built once for every
// sender and receiver of chunks.
var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// CRC32C returns the CRC-32C (Castagnoli) checksum of data: the value a
// Transfer's CRC32C field carries for its chunk, computed by the sender and
// checked by the receiver.
func CRC32C(data []byte) uint32 {
	return crc32.Checksum(data, crc32cTable)
}
