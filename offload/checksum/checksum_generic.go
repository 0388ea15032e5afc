//go:build purego || !amd64

package checksum

func sum(b []byte) uint16 { return sumGeneric(b, 0) }
