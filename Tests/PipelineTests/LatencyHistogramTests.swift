import Pipeline
import Synthea
import TestSupport
import Testing

/// Percentiles of the latency histogram against a sort of the same samples.
@Suite("Latency histogram")
struct LatencyHistogramTests {
    @Test("p50, p99 and max equal the nearest-rank percentiles of the samples; merging two halves equals one histogram")
    func percentiles() {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        var samples: [Int64] = []
        var whole = LatencyHistogram(), first = LatencyHistogram(), second = LatencyHistogram()
        for i in 0..<5_000 {
            let ms = random.int(0...9) == 0 ? random.int(Int64(0)...Int64(90_000)) : random.int(Int64(0)...Int64(300))
            samples.append(ms)
            whole.record(ms)
            if i % 2 == 0 { first.record(ms) } else { second.record(ms) }
        }
        let sorted = samples.sorted()
        func nearestRank(_ p: Double) -> Int64 {
            let value = sorted[max(1, Int((p * Double(sorted.count)).rounded(.up))) - 1]
            return value >= 60_000 ? sorted.last! : value
        }
        for p in [0.5, 0.9, 0.99] {
            #expect(whole.percentile(p) == nearestRank(p), "\(context): p\(Int(p * 100))")
        }
        #expect(whole.maxMs == sorted.last! && whole.count == 5_000, "\(context)")
        first += second
        #expect(first == whole, "\(context): merged halves")
        #expect(LatencyHistogram().percentile(0.5) == nil)
    }
}
