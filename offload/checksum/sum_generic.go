package checksum

func sum(b []byte) uint16 { return sumGeneric(b) }
