/// The one reader of Java-style properties text, for `--kafka-config` files and the topic
/// declarations: one `key=value` per line, whitespace around both trimmed; blank lines and
/// lines starting with `#` or `!` are comments. As in Java, a `#` after a value is part of the
/// value (a password may hold one). Errors name the file and line.
public enum PropertiesText {
    /// One assignment and the line it is on.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int
    }

    public static func parse(_ text: String, file: String, kind: KafkaError.Kind) throws(KafkaError) -> [Entry] {
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                // The line is not echoed: in a Kafka settings file it may hold a secret.
                throw KafkaError(kind, message: "\(file):\(index + 1): expected key=value")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw KafkaError(kind, message: "\(file):\(index + 1): empty property name") }
            entries.append(Entry(key: key, value: line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces), line: index + 1))
        }
        return entries
    }
}
