/// Builds byte keys for ``ExternalSorter``: components separated by a 0x00 byte, numbers as
/// fixed-width big-endian so that byte order is numeric order.
struct SortKey {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(96) }

    mutating func add(_ text: String) {
        if !bytes.isEmpty { bytes.append(0) }
        bytes.append(contentsOf: text.utf8)
    }

    /// A text component given as its UTF-8 bytes.
    mutating func add(bytes text: ArraySlice<UInt8>) {
        if !bytes.isEmpty { bytes.append(0) }
        bytes.append(contentsOf: text)
    }

    /// A small number (a flag, an entity's rank) in one byte.
    mutating func add(byte: UInt8) {
        if !bytes.isEmpty { bytes.append(0) }
        bytes.append(byte)
    }

    /// A facility's number (``FacilityCodes``) in four bytes.
    mutating func add(facility code: Int) {
        if !bytes.isEmpty { bytes.append(0) }
        let number = UInt32(code)
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: number >> UInt32(shift)))
        }
    }

    mutating func add(_ number: UInt64) {
        if !bytes.isEmpty { bytes.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: number >> UInt64(shift)))
        }
    }

    /// Event time: known instants sort by time, unknown ones after every known one.
    mutating func add(eventTime seconds: Int64?) {
        guard let seconds else { add(UInt64.max); return }
        add(UInt64(bitPattern: seconds) ^ (1 << 63))  // order-preserving signed -> unsigned
    }
}
