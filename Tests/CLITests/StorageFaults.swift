import Foundation
import TestSupport

/// The immutable attribute (`chattr +i`): the one way to take write access away from files a
/// root process already has open. Needs CAP_LINUX_IMMUTABLE, which a default container does
/// not grant, so tests ask ``immutableSupported`` first and skip, saying why, without it.
enum FileAttributes {
    /// True when chattr is installed and can set and clear the attribute here (probed once on a
    /// scratch file).
    static let immutableSupported: Bool = {
        guard getuid() == 0, let probe = try? temporaryDirectory("chattr-probe") else { return false }
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let file = "\(probe)/file"
        guard FileManager.default.createFile(atPath: file, contents: Data()) else { return false }
        guard (try? setImmutable(file, true)) != nil else { return false }
        return (try? setImmutable(file, false)) != nil
    }()

    static func setImmutable(_ path: String, _ on: Bool) throws {
        let result = try run(try executableOnPath("chattr"), [on ? "+i" : "-i", path])
        guard result.status == 0 else { throw TestFailure("chattr \(on ? "+i" : "-i") \(path): \(result.stderr)") }
    }
}

/// A tmpfs mounted for one test, whose size can change while files on it are open: shrunk to
/// what it holds, the next write finds the disk full (ENOSPC). Needs root with mount
/// permission; ``supported`` probes that once.
final class SmallFilesystem {
    let path: String
    private var mounted = false

    static let supported: Bool = {
        guard getuid() == 0, let disk = try? SmallFilesystem(megabytes: 1) else { return false }
        disk.unmount()
        return true
    }()

    /// Mounts a new tmpfs on a directory of its own.
    init(megabytes: Int) throws {
        path = try temporaryDirectory("tmpfs")
        try mount(["-t", "tmpfs", "-o", "size=\(megabytes)m", "emr-test", path])
        mounted = true
    }

    /// Bytes in use, as the filesystem counts them.
    func usedBytes() throws -> Int {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { throw TestFailure("statvfs \(path): errno \(errno)") }
        return Int(stats.f_blocks - stats.f_bfree) * Int(stats.f_frsize)
    }

    /// Changes the size (rounded up to pages by the kernel); files stay open and in place.
    func resize(bytes: Int) throws {
        try mount(["-o", "remount,size=\(bytes)", path])
    }

    /// Unmounts and removes the directory (files still open stay readable until closed).
    func unmount() {
        if mounted {
            let result = try? run(URL(fileURLWithPath: "/bin/umount"), ["-l", path])
            if result?.status != 0 { print("umount -l \(path) failed: \(result?.stderr ?? "")") }
            mounted = false
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    private func mount(_ arguments: [String]) throws {
        let result = try run(URL(fileURLWithPath: "/bin/mount"), arguments)
        guard result.status == 0 else { throw TestFailure("mount \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    deinit { unmount() }
}

/// A directory no `emr` command may write in, as on a read-only mount, made the best way this
/// machine allows: as root the immutable attribute; as root without CAP_LINUX_IMMUTABLE (a
/// default container) the commands run as `nobody` (setpriv), for whom a root-owned directory
/// is read-only; as another user, permission bits. `EMR_TEST_READONLY_WAY` (immutable,
/// other-user) forces one, to test the fallback where chattr works.
struct ReadOnlyDirectory {
    enum Way: String { case immutable, permissions, otherUser = "other-user" }

    static let way: Way? = {
        if let forced = ProcessInfo.processInfo.environment["EMR_TEST_READONLY_WAY"].flatMap(Way.init(rawValue:)) { return forced }
        if getuid() != 0 { return .permissions }
        if FileAttributes.immutableSupported { return .immutable }
        return (try? executableOnPath("setpriv")) != nil ? .otherUser : nil
    }()
    static let unavailable = "needs chattr +i as root, setpriv, or a non-root user: skipped"

    let path: String
    let way: Way

    init(_ path: String, way: Way? = Self.way) throws {
        guard let way else { throw TestFailure(Self.unavailable) }
        self.path = path
        self.way = way
    }

    func setReadOnly(_ on: Bool) throws {
        switch way {
        case .immutable: try FileAttributes.setImmutable(path, on)
        case .permissions: try FileManager.default.setAttributes([.posixPermissions: on ? 0o555 : 0o755], ofItemAtPath: path)
        case .otherUser: break  // root owns it with 0755: nobody cannot write in it either way
        }
    }

    /// A directory the commands can write in (their output), whichever user runs them.
    func writableDirectory(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
        return path
    }

    /// Runs `emr` as the user the read-only directory is read-only for.
    func emr(_ arguments: [String]) throws -> ProcessResult {
        guard way == .otherUser else { return try run(try emrExecutable(), arguments) }
        return try run(try executableOnPath("setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", try emrExecutable().path] + arguments)
    }
}
