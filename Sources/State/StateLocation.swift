import Foundation

/// Checks a state file's path before it is opened for writing, so that faults no retry can
/// fix (an empty path, a missing or read-only directory, a directory where the file should
/// be, a read-only file) fail at once with one line instead of being retried.
public enum StateLocation {
    public static func checkWritable(_ path: String) throws(StateError) {
        guard !path.isEmpty else { throw StateError(.open, path: path, message: "the state file path is empty") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw StateError(.open, path: path, message: "is a directory, not a state file") }
            if access(path, W_OK) != 0 { throw StateError(.open, path: path, message: "cannot write the state file: \(FileProblem.describe(errno: errno))") }
        }
        let directory = PathText.parent(of: path)
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw StateError(.open, path: path, message: "its directory \(directory) does not exist")
        }
        guard isDirectory.boolValue else { throw StateError(.open, path: path, message: "\(directory) is not a directory") }
        // SQLite writes the -wal and -shm files beside the database.
        if access(directory, W_OK) != 0 {
            throw StateError(.open, path: path, message: "cannot write in its directory \(directory): \(FileProblem.describe(errno: errno))")
        }
    }

    /// A state directory (`--state-dir`): created when missing (its parent must exist), and
    /// writable.
    public static func prepareDirectory(_ path: String) throws(StateError) {
        guard !path.isEmpty else { throw StateError(.open, path: path, message: "the state directory path is empty") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StateError(.open, path: path, message: "is a file, not a state directory") }
        } else {
            try checkWritable(path)  // the parent exists and is writable
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            } catch {
                throw StateError(.open, path: path, message: "cannot create the state directory: \(error.localizedDescription)")
            }
        }
        if access(path, W_OK) != 0 { throw StateError(.open, path: path, message: "cannot write in the state directory: \(FileProblem.describe(errno: errno))") }
    }
}
