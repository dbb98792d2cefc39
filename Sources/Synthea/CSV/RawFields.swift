/// The fields of one CSV record as valid UTF-8 bytes, back to back, with where each ends: a
/// record read without making a String of every field (most are copied on as bytes).
public struct RawFields: Sendable {
    /// Every field's bytes, in order.
    public internal(set) var bytes: [UInt8] = []
    /// The end offset of each field in `bytes`.
    public internal(set) var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    /// The bytes of field `index`.
    public func field(_ index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }

    /// Field `index` as text.
    public func text(_ index: Int) -> String {
        String(decoding: field(index), as: UTF8.self)
    }

    /// Every field as text.
    public var fields: [String] { (0..<count).map(text) }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
