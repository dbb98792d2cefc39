import Foundation
import State

/// The marts of one or more state directories (`--state-dir`) as one state file: for each
/// task the copy that is furthest along (``TaskFiles/furthest(in:)``), merged by ``MartMerge``
/// into a temporary file that lives while `body` runs. Marts only: the dashboard's summary
/// tables stay empty (an export does not read them; ``MergedStateCache`` builds them).
public enum MergedState {
    public struct NoTaskFilesError: Error, Sendable, CustomStringConvertible {
        public var directories: [String]
        public init(directories: [String]) { self.directories = directories }
        public var description: String {
            "no task files (patients-<p>.sqlite, reference-<r>.sqlite) in \(directories.joined(separator: ", ")): is it a directory `emr consume --state-dir` wrote?"
        }
    }

    /// How a manifest names the merge of `directories`.
    public static func describe(_ directories: [String]) -> String {
        "merge of the task files in \(directories.joined(separator: ", "))"
    }

    public static func read<T>(_ directories: [String], _ body: (StateStore) throws -> T) throws -> T {
        let files = try TaskFiles.furthest(in: directories)
        guard !files.isEmpty else { throw NoTaskFilesError(directories: directories) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("emr-merge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let target = "\(scratch)/merged.sqlite"
        try MartMerge.merge(files, into: target, summaries: false)
        let store = try StateStore(readingExisting: target, migrations: MartSchema.migrations)
        defer { store.close() }
        return try body(store)
    }
}
