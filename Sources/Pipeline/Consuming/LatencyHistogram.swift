/// Latencies in whole milliseconds (1 ms buckets up to a minute, then one bucket for longer),
/// for percentiles without keeping every sample: here, the time from a record's Kafka timestamp
/// to the commit of the batch that applied it.
public struct LatencyHistogram: Sendable, Equatable {
    private static let buckets = 60_000
    private var counts: [Int] = []
    public private(set) var count = 0
    public private(set) var maxMs: Int64 = 0

    public init() {}

    public mutating func record(_ milliseconds: Int64) {
        if counts.isEmpty { counts = [Int](repeating: 0, count: Self.buckets + 1) }
        let ms = max(0, milliseconds)
        counts[Int(min(ms, Int64(Self.buckets)))] += 1
        count += 1
        maxMs = max(maxMs, ms)
    }

    /// The smallest latency at or under which a fraction `p` (0...1) of the samples lie; nil
    /// without samples. Samples of a minute or more count as `maxMs`.
    public func percentile(_ p: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((p * Double(count)).rounded(.up)))
        var seen = 0
        for (ms, n) in counts.enumerated() where n > 0 {
            seen += n
            if seen >= rank { return ms == Self.buckets ? maxMs : Int64(ms) }
        }
        return maxMs
    }

    public static func += (a: inout LatencyHistogram, b: LatencyHistogram) {
        guard b.count > 0 else { return }
        if a.counts.isEmpty { a.counts = [Int](repeating: 0, count: buckets + 1) }
        for (i, n) in b.counts.enumerated() where n > 0 { a.counts[i] += n }
        a.count += b.count
        a.maxMs = max(a.maxMs, b.maxMs)
    }
}
