package mux

import (
	"runtime"
	"syscall"
	"unsafe"
)

// hugePage is the size of an x86-64 or arm64 transparent huge page.
const hugePage = 2 << 20

// newBuckets returns n zeroed buckets. A table of at least a huge page is
// mapped outside the Go heap and advised to use transparent huge pages
// (MADV_HUGEPAGE): each flow lookup touches a random bucket, and with 4
// KiB pages a 32 MiB table spreads them over 8192 pages, more than the
// TLB holds, so most lookups also walk the page tables (twice over under
// a hypervisor). Buckets hold no pointers, so the garbage collector need
// not see them; the mapping is released when owner becomes unreachable.
// Anything else, or a failed mapping, gets ordinary heap memory.
func newBuckets(n int, owner *flowTable) []bucket {
	size := n * int(unsafe.Sizeof(bucket{}))
	if size < hugePage {
		return make([]bucket, n)
	}
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]bucket, n)
	}
	_ = syscall.Madvise(mem, syscall.MADV_HUGEPAGE) // advice only: the table works without it
	runtime.AddCleanup(owner, func(mem []byte) { _ = syscall.Munmap(mem) }, mem)
	return unsafe.Slice((*bucket)(unsafe.Pointer(unsafe.SliceData(mem))), n)
}
