import Foundation

/// A streaming RFC 4180 reader over a file's bytes: quoted fields, doubled quotes, line breaks
/// inside quotes, CRLF or LF, UTF-8, and a byte-order mark at the start. It reads in chunks, so
/// memory stays constant whatever the file's size.
///
/// `next()` returns the next record with the physical line it starts on; every record after the
/// header must have as many fields as the header. Errors name the file and line: also for bytes
/// that are not UTF-8 (unless ``CSVLimits/replaceInvalidUTF8``) and for a record longer than
/// ``CSVLimits/maxRecordBytes`` (a line that never ends cannot exhaust memory).
public final class CSVReader {
    public let path: String
    public let limits: CSVLimits
    private let handle: FileHandle
    /// Where reading stands. A call to ``next(into:)`` moves it into a local variable for the
    /// record, and back at the end: Swift checks every access to a class's stored property for
    /// exclusivity at run time, and this loop touches these for each byte or field (checks that
    /// were about a tenth of the producer's CPU).
    private var input = Input()
    private var started = false

    private struct Input {
        var buffer: [UInt8] = []
        var position = 0
        var exhausted = false
        var line = 1
    }
    private let chunkSize: Int

    public init(path: String, limits: CSVLimits = CSVLimits(), chunkSize: Int = 1 << 16) throws(CSVError) {
        self.path = path
        self.limits = limits
        self.chunkSize = chunkSize
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSVError(file: path, line: 0, message: "cannot open file")
        }
        self.handle = handle
    }

    deinit {
        try? handle.close()
    }

    /// A record: its fields and the physical line it starts on.
    public struct Record: Sendable {
        public var fields: [String]
        public var line: Int
    }

    /// The next record, or nil at the end of the file.
    public func next() throws(CSVError) -> Record? {
        guard let line = try next(into: &scratch) else { return nil }
        return Record(fields: scratch.fields, line: line)
    }

    private var scratch = RawFields()

    /// Reads the next record's fields into `raw` (replacing what it held) as valid UTF-8 bytes;
    /// returns the physical line it starts on, or nil at the end of the file.
    public func next(into raw: inout RawFields) throws(CSVError) -> Int? {
        var input = Input()
        swap(&input, &self.input)
        defer { swap(&input, &self.input) }
        return try read(into: &raw, &input)
    }

    private func read(into raw: inout RawFields, _ input: inout Input) throws(CSVError) -> Int? {
        if !started {
            started = true
            try skipByteOrderMark(&input)
        }
        raw.removeAll()
        guard try ensure(1, &input) else { return nil }
        let startLine = input.line
        var quoted = false
        var fieldStart = true
        var recordBytes = 0
        func finish() throws(CSVError) { try endField(&raw, line: startLine) }
        while true {
            guard try ensure(1, &input) else {
                if quoted {
                    throw CSVError(file: path, line: startLine, message: "unterminated quoted field at end of file")
                }
                try finish()
                return startLine
            }
            let byte = input.buffer[input.position]
            if quoted {
                recordBytes += 1
                if recordBytes > limits.maxRecordBytes { throw tooLong(startLine) }
                input.position += 1
                if byte == UInt8(ascii: "\"") {
                    if try ensure(1, &input), input.buffer[input.position] == UInt8(ascii: "\"") {
                        raw.bytes.append(byte)
                        input.position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { input.line += 1 }
                    raw.bytes.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                input.position += 1
                recordBytes += 1
                try finish()
                fieldStart = true
                continue
            case UInt8(ascii: "\n"):
                input.position += 1
                input.line += 1
                try finish()
                return startLine
            case UInt8(ascii: "\r"):
                input.position += 1
                if try ensure(1, &input), input.buffer[input.position] == UInt8(ascii: "\n") {
                    input.position += 1
                }
                input.line += 1
                try finish()
                return startLine
            case UInt8(ascii: "\"") where fieldStart:
                input.position += 1
                quoted = true
            default:
                if byte == UInt8(ascii: "\"") {
                    throw CSVError(file: path, line: input.line, message: "stray quote inside an unquoted field")
                }
                // Fast path: copy the run of plain bytes up to the next delimiter at once.
                let end = input.buffer.withUnsafeBufferPointer { b -> Int in
                    var i = input.position
                    while i < b.count {
                        let c = b[i]
                        if c == UInt8(ascii: ",") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\"") { break }
                        i += 1
                    }
                    return i
                }
                raw.bytes.append(contentsOf: input.buffer[input.position..<end])
                recordBytes += end - input.position
                input.position = end
                if recordBytes > limits.maxRecordBytes { throw tooLong(startLine) }
            }
            fieldStart = false
        }
    }

    /// Ends the field being read into `raw`: its bytes must be UTF-8 (an error naming the line
    /// and field), or, when the limits say so, bytes that are not are replaced by U+FFFD.
    private func endField(_ raw: inout RawFields, line: Int) throws(CSVError) {
        let start = raw.ends.last ?? 0
        let valid = raw.bytes.withUnsafeBufferPointer { all in
            let field = UnsafeBufferPointer(rebasing: all[start...])
            return Self.isASCII(field) || String(validating: field, as: UTF8.self) != nil
        }
        if !valid {
            let bytes = Array(raw.bytes[start...])
            guard limits.replaceInvalidUTF8 else { throw invalidUTF8(bytes, number: raw.ends.count + 1, line: line) }
            raw.bytes.removeSubrange(start...)
            raw.bytes.append(contentsOf: String(decoding: bytes, as: UTF8.self).utf8)
        }
        raw.ends.append(raw.bytes.count)
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    private func invalidUTF8(_ bytes: [UInt8], number: Int, line: Int) -> CSVError {
        let bad = Self.firstInvalidUTF8(bytes)
        return CSVError(file: path, line: line,
                        message: "field \(number) is not valid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at position \(bad + 1) of the field); "
                            + "re-encode the file as UTF-8, or pass --replace-invalid-utf8 to publish U+FFFD in its place")
    }

    /// Index of the first byte that does not start a valid UTF-8 sequence.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error: return min(offset, bytes.count - 1)
            case .emptyInput: return max(0, bytes.count - 1)
            }
        }
    }

    private func tooLong(_ line: Int) -> CSVError {
        CSVError(file: path, line: line, message: "record longer than \(limits.maxRecordBytes) bytes (a line that never ends, or not a CSV file?); "
                     + "raise the limit with --max-record-bytes if the file is right")
    }

    private func skipByteOrderMark(_ input: inout Input) throws(CSVError) {
        if try ensure(3, &input), input.buffer[input.position] == 0xEF, input.buffer[input.position + 1] == 0xBB, input.buffer[input.position + 2] == 0xBF {
            input.position += 3
        }
    }

    /// Makes at least `count` unread bytes available; false when the file ends first.
    private func ensure(_ count: Int, _ input: inout Input) throws(CSVError) -> Bool {
        while input.buffer.count - input.position < count {
            if input.exhausted { return false }
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: chunkSize)
            } catch {
                throw CSVError(file: path, line: input.line, message: "read failed: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else {
                input.exhausted = true
                return input.buffer.count - input.position >= count
            }
            if input.position > 0 {
                input.buffer.removeFirst(input.position)
                input.position = 0
            }
            input.buffer.append(contentsOf: chunk)
        }
        return true
    }
}
