import Foundation
import State

/// The files of a state directory (`--state-dir`): `patients-<p>.sqlite` holds partition p of
/// every patient-scoped topic, `reference-<r>.sqlite` partition r of the reference topics
/// (organizations, providers). See docs/scaling.md.
public enum TaskFiles {
    public static func name(patientScoped: Bool, partition: Int32) -> String {
        "\(patientScoped ? "patients" : "reference")-\(partition)"
    }

    public static func path(of name: String, in directory: String) -> String {
        (directory as NSString).appendingPathComponent("\(name).sqlite")
    }

    /// The task names with a file in `directory`, sorted.
    public static func names(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).compactMap { file in
            guard let match = file.wholeMatch(of: /(patients|reference)-(\d+)\.sqlite/) else { return nil }
            return "\(match.1)-\(match.2)"
        }.sorted()
    }

    /// For every task with a file in any of `directories`, the file that is furthest along
    /// (the greatest sum of stored offsets; a task that moved between instances has a copy in
    /// each of their directories, and the older copies are behind). Sorted by task name.
    public static func furthest(in directories: [String]) throws -> [String] {
        var best: [String: (path: String, progress: Int64)] = [:]
        for directory in directories {
            for name in try names(in: directory) {
                let path = path(of: name, in: directory)
                let progress = try progress(of: path)
                if progress > best[name]?.progress ?? -1 { best[name] = (path, progress) }
            }
        }
        return best.keys.sorted().map { best[$0]!.path }
    }

    /// How far a task file is: the sum of its stored next offsets.
    public static func progress(of path: String) throws -> Int64 {
        let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        defer { store.close() }
        return try store.storedOffsets().values.reduce(0) { $0 + $1.values.reduce(0, +) }
    }

    /// Whether `name` is a task name (`patients-<p>` or `reference-<r>`).
    public static func isTaskName(_ name: String) -> Bool {
        name.wholeMatch(of: /(patients|reference)-\d{1,9}/) != nil
    }

    /// A consistent copy of a task file (one point of it, while its consumer keeps writing)
    /// as one self-contained file at `target`, which must not exist.
    public static func copy(_ path: String, to target: String) throws {
        let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
        defer { store.close() }
        try store.database.prepare("VACUUM INTO ?1").bind(.text(target)).run()
    }
}
