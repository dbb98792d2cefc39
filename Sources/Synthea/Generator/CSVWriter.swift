import Chronology
import Foundation

/// Writes a CSV file row by row through a buffer (``CSVEncoding``: RFC 4180 quoting where a
/// field needs it, LF line endings), so a large export is written in constant memory.
public final class CSVWriter {
    private let handle: FileHandle
    private let path: String
    private var buffer: [UInt8] = []
    private let flushAt = 1 << 20

    public init(path: String, header: [String]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CSVError(file: path, line: 0, message: "cannot create file")
        }
        self.handle = handle
        self.path = path
        buffer.reserveCapacity(flushAt + 4096)
        try write(header)
    }

    public func write(_ fields: [String]) throws {
        CSVEncoding.append(fields, to: &buffer)
        if buffer.count >= flushAt { try flush() }
    }

    public func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw CSVError(file: path, line: 0, message: "write failed: \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Money and coordinates as exact decimal text.
enum GeneratedDecimalText {
    /// Cents as `123.45`.
    static func cents(_ value: Int64) -> String {
        let sign = value < 0 ? "-" : ""
        let v = abs(value)
        return "\(sign)\(v / 100)." + CivilTime.pad(v % 100, 2)
    }

    /// Millionths as `42.123456`.
    static func micro(_ value: Int64) -> String {
        let sign = value < 0 ? "-" : ""
        let v = abs(value)
        return "\(sign)\(v / 1_000_000)." + CivilTime.pad(v % 1_000_000, 6)
    }
}
