import Foundation

/// A consistent copy of a whole state file (backup), taken while a consumer may be writing it:
/// `VACUUM INTO` on a read-only connection reads one snapshot and writes a compact, complete
/// database (schema version, application id, offsets and all). Written beside the target and
/// renamed into place, so a reader never sees half a copy. `emr consume --state COPY` resumes
/// from the copy's offsets.
public enum StateSnapshot {
    /// Copies `statePath` to `target`; refuses an existing target unless `replace`. Returns the
    /// copy's size in bytes.
    @discardableResult
    public static func copy(_ statePath: String, to target: String, replace: Bool = false, migrations: [String]) throws -> Int64 {
        if FileManager.default.fileExists(atPath: target), !replace {
            throw StateError(.open, path: target, message: "already exists; choose another path or --force to replace it")
        }
        let source = try StateStore(readingExisting: statePath, migrations: migrations)
        defer { source.database.close() }
        let directory = PathText.parent(of: target)
        let partial = (directory as NSString).appendingPathComponent(".\(PathText.name(of: target)).partial-\(getpid())")
        try? FileManager.default.removeItem(atPath: partial)
        do {
            try source.database.prepare("VACUUM INTO ?1").bind(.text(partial)).run()
            guard rename(partial, target) == 0 else {
                throw StateError(.open, path: target, message: "cannot move the copy into place: \(FileProblem.describe(errno: errno))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return ((try? FileManager.default.attributesOfItem(atPath: target))?[.size] as? Int64) ?? 0
    }
}
