import Foundation

/// The secret of keyed pseudonyms (`--pseudonym-key-file`): HMAC-SHA-256 of an identifier,
/// in hex. The same key gives the same pseudonym in every mart and every export, so joins
/// still work; without the key a pseudonym cannot be traced back. The key is never printed.
public struct PseudonymKey: Sendable, CustomStringConvertible {
    private let bytes: [UInt8]
    /// Shortest key accepted.
    public static let minimumBytes = 16

    /// Reads the key file's bytes (a trailing newline is not part of the key).
    public init(file path: String) throws(ExportError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportError("\(path): cannot read the pseudonym key file")
        }
        var bytes = [UInt8](data)
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        try self.init(bytes: bytes, source: path)
    }

    public init(bytes: [UInt8], source: String = "the key") throws(ExportError) {
        guard bytes.count >= Self.minimumBytes else {
            throw ExportError("\(source): a pseudonym key needs at least \(Self.minimumBytes) bytes (got \(bytes.count)); e.g. head -c 32 /dev/urandom | base64 > KEYFILE")
        }
        self.bytes = bytes
    }

    /// The pseudonym of an identifier: 64 hex digits.
    public func pseudonym(_ identifier: String) -> String {
        SHA256.hex(SHA256.hmac(key: bytes, Array(identifier.utf8)))
    }

    public var description: String { "PseudonymKey(redacted)" }
}
