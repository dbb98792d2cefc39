import Foundation
import State
import Synchronization

/// Where a ``MergedStateCache`` finds the task files it merges: the files of one instance's
/// tasks, the furthest copies in several directories, or copies fetched from other instances.
public protocol MergeSource: Sendable {
    /// Changes whenever the files would (cheap: file sizes and times, stored offsets).
    func fingerprint() throws -> String
    /// The task files to merge; copies may be written into `scratch`, which lives until the
    /// merge is done.
    func files(scratch: String) throws -> [String]
}

/// A merged state file (``MartMerge``) kept for readers of a source that changes while they
/// read: rebuilt when the source's fingerprint changed and the last build is older than
/// `refreshInterval`, so a burst of requests costs one merge. Readers get the path of a
/// complete file in rollback-journal mode; the two previous builds are kept (a reader that
/// opened one keeps reading it) and older ones removed. The files live in a private temporary
/// directory removed by ``close()``.
public final class MergedStateCache: Sendable {
    private struct Built {
        var path: String
        var fingerprint: String
        var at: ContinuousClock.Instant
    }

    private let source: any MergeSource
    private let refreshInterval: Duration
    private let directory: String
    private let state = Mutex<(builds: [Built], generation: Int)>(([], 0))

    public init(source: any MergeSource, refreshInterval: Duration = .seconds(1)) throws {
        self.source = source
        self.refreshInterval = refreshInterval
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("emr-merged-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    /// The path of a merged file no older than `refreshInterval`, or of the newest when the
    /// source has not changed since.
    public func currentPath() throws -> String {
        try state.withLock { state in
            if let last = state.builds.last, ContinuousClock.now - last.at < refreshInterval { return last.path }
            let fingerprint = try source.fingerprint()
            if let last = state.builds.last, last.fingerprint == fingerprint {
                state.builds[state.builds.count - 1].at = .now
                return last.path
            }
            state.generation += 1
            let path = "\(directory)/merged-\(state.generation).sqlite"
            let scratch = "\(directory)/scratch-\(state.generation)"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            try Self.build(from: try source.files(scratch: scratch), into: path)
            state.builds.append(Built(path: path, fingerprint: fingerprint, at: .now))
            while state.builds.count > 3 { try? FileManager.default.removeItem(atPath: state.builds.removeFirst().path) }
            return path
        }
    }

    /// Merges `files` (none: empty marts) into a new file without a write-ahead log, so that
    /// it is one self-contained file readers can open read-only.
    static func build(from files: [String], into path: String) throws {
        try MartMerge.merge(files, into: path)
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        try database.execute("PRAGMA journal_mode=DELETE")
    }

    /// Removes every merged file.
    public func close() {
        state.withLock { $0.builds = [] }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The task files of one or more state directories: for each task the copy that is furthest
/// along (``TaskFiles/furthest(in:)``), or, with `tasks`, only those tasks of one directory
/// (an instance's own tasks: files of tasks that moved away are behind and left out).
public struct TaskDirectorySource: MergeSource {
    public let directories: [String]
    /// When set, the task names to take (from the first directory); nil: every task.
    public let tasks: (@Sendable () -> [String])?

    public init(directories: [String], tasks: (@Sendable () -> [String])? = nil) {
        self.directories = directories
        self.tasks = tasks
    }

    func paths() throws -> [String] {
        guard let tasks else { return try TaskFiles.furthest(in: directories) }
        guard let directory = directories.first else { return [] }
        return tasks().map { TaskFiles.path(of: $0, in: directory) }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    public func fingerprint() throws -> String {
        try paths().map { path in
            let stamps = [path, path + "-wal"].map { file -> String in
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else { return "-" }
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                return "\(attributes[.size] as? Int ?? 0)@\(modified)"
            }
            return "\(path) \(stamps.joined(separator: " "))"
        }.joined(separator: "\n")
    }

    public func files(scratch: String) throws -> [String] { try paths() }
}
