import Synchronization

/// SQL text with a process-wide identity, for statements a hot path runs over and over.
///
/// Declare it once (`static let upsert = SQLText("INSERT ...")`); a connection then finds its
/// prepared statement by the integer ``id`` instead of hashing the whole text on every call.
/// Ad-hoc SQL keeps using ``SQLiteDatabase/prepare(_:)-(String)`` with the text as the key.
public struct SQLText: Sendable, CustomStringConvertible {
    /// Unique among every `SQLText` made in this process (dense, from 0).
    public let id: Int
    public let text: String

    private static let nextID = Atomic<Int>(0)

    public init(_ text: String) {
        self.id = Self.nextID.add(1, ordering: .relaxed).oldValue
        self.text = text
    }

    public var description: String { text }
}
