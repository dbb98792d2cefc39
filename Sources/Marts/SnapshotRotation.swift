import Chronology
import Foundation
import State
import Synthea

/// Scheduled snapshot exports in one directory: each complete export in `DIR/<UTC timestamp>/`
/// (written beside and renamed into place, so a snapshot directory is never partial), the
/// newest `keep` kept, and `DIR/latest` a symbolic link replaced atomically to point at the
/// newest, so a reader that opens `latest/` always finds a whole export.
public struct SnapshotRotation: Sendable {
    public var directory: String
    public var keep: Int
    public var format: ExportFormat

    public init(directory: String, keep: Int, format: ExportFormat) {
        self.directory = directory
        self.keep = max(1, keep)
        self.format = format
    }

    /// The name of a snapshot taken at `time`: `20261126T193500Z` (sorts in time order).
    public static func name(at time: Date) -> String {
        // 2026-11-26T19:35:00Z without its separators.
        CivilTime.formatTimestamp(seconds: Int64(time.timeIntervalSince1970.rounded(.down)))
            .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    /// Whether a directory entry is one of this rotation's snapshots.
    public static func isSnapshotName(_ name: String) -> Bool {
        name.count == 16 && name.wholeMatch(of: /\d{8}T\d{6}Z/) != nil
    }

    /// Writes one snapshot of the state file at `statePath` (opened read-only: the writer is
    /// never blocked), points `latest` at it and removes the oldest beyond `keep`. `source` is
    /// what the manifest names (the state file by default).
    public func take(statePath: String, source: String? = nil, at time: Date = Date()) throws -> ExportSummary {
        let name = Self.name(at: time)
        let target = (directory as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: target) {
            throw ExportError("\(target): a snapshot of this second exists already")
        }
        let store = try StateStore(readingExisting: statePath, migrations: MartSchema.migrations)
        let summary = try MartExporter(database: store.database, source: source).export(format, to: target)
        try pointLatest(at: name)
        try prune()
        return summary
    }

    /// The snapshots present, oldest first.
    public func snapshots() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter(Self.isSnapshotName).sorted()
    }

    private func pointLatest(at name: String) throws {
        let latest = (directory as NSString).appendingPathComponent("latest")
        let temporary = (directory as NSString).appendingPathComponent(".latest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard symlink(name, temporary) == 0 else {
            throw ExportError("\(temporary): cannot create the link to the newest snapshot: \(FileProblem.describe(errno: errno))")
        }
        guard rename(temporary, latest) == 0 else {
            let problem = FileProblem.describe(errno: errno)
            unlink(temporary)
            throw ExportError("\(latest): cannot point it at \(name): \(problem)")
        }
    }

    private func prune() throws {
        let all = try snapshots()
        for old in all.dropLast(keep) {
            try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(old))
        }
    }
}
