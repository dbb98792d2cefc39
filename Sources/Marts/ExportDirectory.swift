import Foundation
import State

/// An export target that is refused or replaced as a whole.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Writes a directory of files all or nothing: into a temporary sibling first, renamed into
/// place (same file system) when complete. Refuses a non-empty target unless `replace`.
enum ExportDirectory {
    static func write<T>(to directory: String, replace: Bool, _ body: (String) throws -> T) throws -> T {
        let fm = FileManager.default
        let target = (directory as NSString).standardizingPath
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: target, isDirectory: &isDirectory)
        if exists {
            guard isDirectory.boolValue else { throw ExportError("\(directory): exists and is not a directory") }
            let entries = try contents(of: target)
            if !entries.isEmpty && !replace {
                throw ExportError("\(directory): not empty (\(entries.count) entries, e.g. \(entries.sorted()[0])); choose an empty or new directory, or --force to replace it")
            }
        }
        let parent = PathText.parent(of: target)
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let name = PathText.name(of: target)
        let token = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let staging = (parent as NSString).appendingPathComponent(".\(name).partial-\(token)")
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
        do {
            let result = try body(staging)
            if exists {
                // Swap: the old export stays whole until the new one is in place.
                let old = (parent as NSString).appendingPathComponent(".\(name).old-\(token)")
                try rename(target, old)
                do { try rename(staging, target) } catch { try? rename(old, target); throw error }
                try? fm.removeItem(atPath: old)
            } else {
                try rename(staging, target)
            }
            return result
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    private static func contents(of path: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw ExportError(FileProblem.describe(error) ?? "\(path): \(error)")
        }
    }

    private static func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            throw ExportError("\(to): cannot move the export into place: \(FileProblem.describe(errno: errno))")
        }
    }
}
