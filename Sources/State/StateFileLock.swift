import Foundation

/// The single-writer lock of a state file: an exclusive `flock` on `<state>.lock` beside it,
/// holding the owner's PID. Taken when a consumer opens the file and held until it stops; a
/// second writer fails at once naming the holder. The kernel releases it when the process
/// dies (`kill -9` included), so it never goes stale. A separate file, because SQLite's own
/// POSIX locks on the database are released by any `close` of the file in the process.
public final class StateFileLock {
    public let path: String
    private var descriptor: Int32

    /// Takes the lock for the state file at `statePath`, or throws (``StateError/Kind/inUse``
    /// when another process holds it).
    public init(statePath: String) throws(StateError) {
        path = statePath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw StateError(.open, path: statePath, message: "cannot create its lock file \(path): \(FileProblem.describe(errno: code))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            Foundation.close(descriptor)
            descriptor = -1
            if code == EWOULDBLOCK {
                let who = holder.flatMap(Int32.init).map { "process \($0)" } ?? "another process"
                throw StateError(.inUse, path: statePath, message: "state file in use by \(who) (lock \(path)); one consumer per state file")
            }
            throw StateError(.open, path: statePath, message: "cannot lock \(path): \(FileProblem.describe(errno: code))")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { release() }

    /// Releases the lock (the lock file stays, empty of meaning). Safe to call twice.
    public func release() {
        guard descriptor >= 0 else { return }
        // Unlock explicitly: close alone keeps the lock while a child forked meanwhile (another
        // thread starting a process) still holds a copy of the descriptor until its exec.
        _ = flock(descriptor, LOCK_UN)
        Foundation.close(descriptor)
        descriptor = -1
    }
}
