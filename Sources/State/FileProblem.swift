import Foundation

/// Plain words for what is wrong with a path: one line naming the path and the problem
/// (missing, a directory, read-only, no space, ...) instead of a raw Foundation or errno dump.
public enum FileProblem {
    /// What an errno means for a file, in a few words.
    public static func describe(errno code: Int32) -> String {
        switch code {
        case ENOENT: "no such file or directory"
        case ENOTDIR: "a part of the path is not a directory"
        case EISDIR: "is a directory"
        case EEXIST: "already exists"
        case EROFS: "read-only file system"
        case EACCES, EPERM: "permission denied (or the file is immutable)"
        case ENOSPC: "no space left on device"
        case EDQUOT: "disk quota exceeded"
        case ENAMETOOLONG: "file name too long"
        case ENOTEMPTY: "directory not empty"
        default: String(cString: strerror(code))
        }
    }

    /// One line for an error thrown by Foundation's file APIs: `PATH: what is wrong`, or nil
    /// when `error` is not a file error.
    public static func describe(_ error: Error) -> String? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String)
            ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
            ?? (ns.userInfo["NSDestinationFilePath"] as? String)
        var what: String
        if ns.domain == NSPOSIXErrorDomain {
            what = describe(errno: Int32(ns.code))
        } else if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            what = describe(errno: Int32(underlying.code))
        } else {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: what = "no such file or directory"
            case .fileWriteFileExists: what = "already exists"
            case .fileReadNoPermission, .fileWriteNoPermission: what = "permission denied"
            case .fileWriteVolumeReadOnly: what = "read-only file system"
            case .fileWriteOutOfSpace: what = "no space left on device"
            case .fileReadCorruptFile: what = "unreadable (corrupt or not in the expected format)"
            case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: what = "not valid text in the expected encoding"
            case .fileReadTooLarge: what = "too large to read"
            default: what = ns.localizedDescription
            }
        }
        // Foundation reports "exists" for a directory standing where a file should go.
        var isDirectory: ObjCBool = false
        if let path, what == "already exists", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            what = "already exists (a directory)"
        }
        return path.map { "\($0): \(what)" } ?? what
    }
}
