package store

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// logVFS is the SQLite file system of the writer's connection: the host
// one, except that what a transaction appends to the write-ahead log
// reaches the file in a few writes at its commit, instead of two writes a
// frame (a frame's header, then its page). A batch of certificates is some
// 70 frames; on a machine where a system call costs microseconds, those
// writes had been a third of the writer's time (BENCHMARKS.md).
//
// Only frames appended to the log are held: a frame's 24-byte header, then
// the page right after it. They are written when the page of a commit
// frame is, before that write returns: SQLite makes a commit visible to
// other connections, and the syncer makes it durable, only after. Every
// other call on the log (a read, a sync, its size, a truncation) writes
// what is held first, and every other write (the log's own header, a
// frame's page or header written again below the end of what was
// appended, part of a frame split by a sync) goes through at once, after
// what is held. A write that fails leaves what it did not write held, to
// be tried again first by every later call of its transaction, so that no
// commit frame reaches the file without the frames before it; once the
// transaction ends without a commit, what it held is forgotten (dropHeld),
// and closing the log writes nothing. The frame format
// is SQLite's documented one: a header whose second word is nonzero in a
// commit frame; the log starts again (a write at offset 0) with a 32-byte
// header of its own.
//
// The VFS is in Go, as modernc.org/sqlite's own vfs package is: SQLite's
// structures are libc memory addressed by uintptr, and a function pointer
// is a Go func value.
const logVFSName = "intyg-log"

const (
	frameHeader = 24
	maxHeld     = 1 << 20   // written once more than this is held
	maxWrite    = 124 << 10 // the host VFS writes at most 128 KiB - 1 bytes a call
)

// heldLog is the file object of a log opened through logVFS; the host
// VFS's own file object follows it.
type heldLog struct {
	methods  uintptr // sqlite3_file.pMethods: &logMethods
	buf      uintptr // libc memory, capacity bytes
	capacity int64
	n        int64 // bytes held
	off      int64 // the file offset of the first byte held
	end      int64 // the end of what was written or held since the log started
	commit   bool  // the held frame header is a commit frame's
	page     bool  // a frame header is held and its page comes next
}

var (
	registerLogVFS = sync.OnceValue(registerLog)
	hostVFS        uintptr
	logVFS         sqlite3.Tsqlite3_vfs
	// logMethods are a log's methods. Version 1: SQLite maps and fetches
	// only the database file, never its log.
	logMethods = sqlite3.Tsqlite3_io_methods{
		FiVersion:               1,
		FxClose:                 funcPointer(logClose),
		FxRead:                  funcPointer(logRead),
		FxWrite:                 funcPointer(logWrite),
		FxTruncate:              funcPointer(logTruncate),
		FxSync:                  funcPointer(logSync),
		FxFileSize:              funcPointer(logFileSize),
		FxLock:                  funcPointer(logLock),
		FxUnlock:                funcPointer(logUnlock),
		FxCheckReservedLock:     funcPointer(logCheckReservedLock),
		FxFileControl:           funcPointer(logFileControl),
		FxSectorSize:            funcPointer(logSectorSize),
		FxDeviceCharacteristics: funcPointer(logDeviceCharacteristics),
	}
)

// registerLog registers logVFS beside the host VFS, which it wraps.
func registerLog() error {
	tls := libc.NewTLS()
	defer tls.Close()
	hostVFS = sqlite3.Xsqlite3_vfs_find(tls, 0)
	if hostVFS == 0 {
		return fmt.Errorf("store: no default SQLite VFS")
	}
	logVFS = *at[sqlite3.Tsqlite3_vfs](hostVFS)
	name, err := libc.CString(logVFSName)
	if err != nil {
		return err
	}
	logVFS.FzName = name
	logVFS.FpNext = 0
	logVFS.FszOsFile += int32(unsafe.Sizeof(heldLog{}))
	logVFS.FxOpen = funcPointer(logOpen)
	if rc := sqlite3.Xsqlite3_vfs_register(tls, uintptr(unsafe.Pointer(&logVFS)), 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("store: register the log VFS: SQLite error %d", rc)
	}
	return nil
}

// at is the libc memory at address a as a Go pointer. modernc.org/sqlite
// hands SQLite's pointers to Go as uintptr; the memory is libc's, which
// Go's collector neither moves nor frees.
func at[T any](a uintptr) *T { return *(**T)(unsafe.Pointer(&a)) }

// funcPointer is f as the C function pointer modernc.org/sqlite calls.
func funcPointer[F any](f F) uintptr {
	return *(*uintptr)(unsafe.Pointer(&f))
}

// logOpen opens a file through the host VFS; a write-ahead log's host file
// object goes inside a heldLog.
func logOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	host := at[sqlite3.Tsqlite3_vfs](hostVFS)
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&host.FxOpen))
	if flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return open(tls, hostVFS, zName, pFile, flags, pOutFlags)
	}
	l := at[heldLog](pFile)
	*l = heldLog{}
	rc := open(tls, hostVFS, zName, inner(pFile), flags, pOutFlags)
	if at[sqlite3.Tsqlite3_file](inner(pFile)).FpMethods != 0 {
		l.methods = uintptr(unsafe.Pointer(&logMethods))
		if id := libc.GoString(sqlite3.Xsqlite3_uri_parameter(tls, zName, logParamC)); id != "" {
			openLogs.Lock()
			if openLogs.files == nil {
				openLogs.files = map[string]uintptr{}
			}
			openLogs.files[id] = pFile
			openLogs.Unlock()
		}
	}
	return rc
}

// inner is the host VFS's file object inside a heldLog.
func inner(pFile uintptr) uintptr { return pFile + unsafe.Sizeof(heldLog{}) }

// hostMethods are the host file object's methods.
func hostMethods(pFile uintptr) *sqlite3.Tsqlite3_io_methods {
	return at[sqlite3.Tsqlite3_io_methods](at[sqlite3.Tsqlite3_file](inner(pFile)).FpMethods)
}

func hostWrite(tls *libc.TLS, pFile, buf uintptr, n int32, off int64) int32 {
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)))(tls, inner(pFile), buf, n, off)
}

// flush writes what l holds. What a failed write left unwritten stays
// held, so that every later call of the transaction tries it again first
// (and a commit frame held after it cannot be written without it), until
// the transaction ends (dropHeld).
func flush(tls *libc.TLS, pFile uintptr) int32 {
	l := at[heldLog](pFile)
	l.page, l.commit = false, false
	written := int64(0)
	for written < l.n {
		k := min(maxWrite, l.n-written)
		if rc := hostWrite(tls, pFile, l.buf+uintptr(written), int32(k), l.off+written); rc != sqlite3.SQLITE_OK {
			b := unsafe.Slice(at[byte](l.buf), l.n)
			copy(b, b[written:])
			l.off, l.n = l.off+written, l.n-written
			return rc
		}
		written += k
	}
	l.off, l.n = l.off+l.n, 0
	return sqlite3.SQLITE_OK
}

// logParam is the URI parameter of a writer's database name that names
// its log here (Open sets it, a number of its own for each DB), and
// openLogs the logs open through logVFS by that name: dropHeld finds one
// DB's log, never another's on the same file in the same process.
const logParam = "intyglog"

var (
	logParamC = func() uintptr {
		p, err := libc.CString(logParam)
		if err != nil {
			panic(err)
		}
		return p
	}()
	openLogs struct {
		sync.Mutex
		files map[string]uintptr // the log's file object, by its logParam
	}
	logIDs atomic.Int64 // the last logParam given
)

// newLogID is a new logParam value: a DB's own.
func newLogID() string { return strconv.FormatInt(logIDs.Add(1), 10) }

// dropHeld forgets what the log of the DB whose logParam is id holds:
// frames of a transaction that ended without a commit. SQLite writes its
// next transaction's frames where those were, and another connection (an
// intyg command beside the server) may have appended its own there since:
// written later, the old frames would overwrite them. Only between a
// transaction's failure and its end are they kept, since SQLite may go on
// with a transaction after a full disk fails one statement, its frames
// taken as written. It runs on the goroutine that makes the log's calls
// (the writer's, after a transaction that did not commit; closeConns).
func dropHeld(id string) {
	openLogs.Lock()
	defer openLogs.Unlock()
	if pFile, ok := openLogs.files[id]; ok {
		l := at[heldLog](pFile)
		if l.n > 0 {
			l.end = min(l.end, l.off) // what follows is appended again
		}
		l.n, l.page, l.commit = 0, false, false
	}
}

// hold appends n bytes at zBuf to what l holds.
func hold(tls *libc.TLS, l *heldLog, zBuf uintptr, n int32, off int64) int32 {
	if l.n == 0 {
		l.off = off
	}
	if l.n+int64(n) > l.capacity {
		c := max(2*l.capacity, 64<<10, l.n+int64(n))
		buf := libc.Xrealloc(tls, l.buf, libc.Tsize_t(c))
		if buf == 0 {
			return sqlite3.SQLITE_NOMEM
		}
		l.buf, l.capacity = buf, c
	}
	copy(unsafe.Slice(at[byte](l.buf+uintptr(l.n)), n), unsafe.Slice(at[byte](zBuf), n))
	l.n += int64(n)
	l.end = max(l.end, off+int64(n))
	return sqlite3.SQLITE_OK
}

// logWrite holds a frame's header appended to the log, and then its page,
// until the page of a commit frame. Anything else (the log's own header, a
// frame's page or header written again below the end of what was
// appended, part of a frame) goes through at once, after what is held.
func logWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	l := at[heldLog](pFile)
	if iOfst == 0 {
		l.end = 0 // the log starts again, with its header
	}
	next := l.n == 0 || iOfst == l.off+l.n
	switch {
	case l.page && l.n > 0 && iOfst == l.off+l.n:
		l.page = false
		if rc := hold(tls, l, zBuf, iAmt, iOfst); rc != sqlite3.SQLITE_OK {
			l.commit = false
			return rc
		}
		if l.commit || l.n >= maxHeld {
			return flush(tls, pFile)
		}
		return sqlite3.SQLITE_OK
	case !l.page && iAmt == frameHeader && iOfst >= l.end && next:
		if rc := hold(tls, l, zBuf, iAmt, iOfst); rc != sqlite3.SQLITE_OK {
			return rc
		}
		// A commit frame's header gives the database's size after it.
		h := unsafe.Slice(at[byte](zBuf), frameHeader)
		l.commit = binary.BigEndian.Uint32(h[4:8]) != 0
		l.page = true
		return sqlite3.SQLITE_OK
	}
	if rc := flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	l.end = max(l.end, iOfst+int64(iAmt))
	return hostWrite(tls, pFile, zBuf, iAmt, iOfst)
}

// The other methods call the host's, after writing what is held wherever
// the file's content or size matters.

// logClose closes the log. What it still holds is not written: SQLite
// closes a log outside any transaction, so it is what a transaction that
// failed left (dropHeld).
func logClose(tls *libc.TLS, pFile uintptr) int32 {
	l := at[heldLog](pFile)
	openLogs.Lock()
	for id, f := range openLogs.files {
		if f == pFile {
			delete(openLogs.files, id)
		}
	}
	openLogs.Unlock()
	m := hostMethods(pFile)
	rc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)))(tls, inner(pFile))
	libc.Xfree(tls, l.buf)
	l.buf, l.capacity, l.n = 0, 0, 0
	return rc
}

func logRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)))(tls, inner(pFile), zBuf, iAmt, iOfst)
}

func logTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)))(tls, inner(pFile), size)
}

func logSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)))(tls, inner(pFile), flags)
}

func logFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)))(tls, inner(pFile), pSize)
}

func logLock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxLock)))(tls, inner(pFile), lock)
}

func logUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxUnlock)))(tls, inner(pFile), lock)
}

func logCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxCheckReservedLock)))(tls, inner(pFile), pResOut)
}

func logFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)))(tls, inner(pFile), op, pArg)
}

func logSectorSize(tls *libc.TLS, pFile uintptr) int32 {
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxSectorSize)))(tls, inner(pFile))
}

func logDeviceCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	m := hostMethods(pFile)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxDeviceCharacteristics)))(tls, inner(pFile))
}
