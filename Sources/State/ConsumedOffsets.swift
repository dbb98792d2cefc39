/// The `consumed_offsets` table read on any connection to a state file (the consumer's store,
/// an exporter's read snapshot): next offset per topic and partition.
public enum ConsumedOffsets {
    public static func read(_ database: SQLiteDatabase) throws -> [String: [Int32: Int64]] {
        var result: [String: [Int32: Int64]] = [:]
        for row in try database.prepare("SELECT topic, partition, next_offset FROM consumed_offsets").rows() {
            result[row[0].text ?? "", default: [:]][Int32(row[1].int ?? 0)] = row[2].int ?? 0
        }
        return result
    }
}
