/// The figures of `emr consume`'s summary line, as `emr bench consume` reads them.
struct ConsumeFigures {
    var read = 0, batches = 0
    var activeSeconds = 0.0, decodeMs = 0.0, stageMs = 0.0, martsMs = 0.0, commitMs = 0.0, applyingCPUMs = 0.0, peakMB = 0.0

    /// Records per second from the first to the last message.
    var rate: Double { Double(read) / max(activeSeconds, 1e-9) }

    init(_ line: String) throws {
        guard let head = line.firstMatch(of: /read (\d+) .* in (\d+) batches, .*first to last message ([0-9.]+) s/),
              let split = line.firstMatch(of: /decode ([0-9.]+) ms, stage ([0-9.]+) ms, marts ([0-9.]+) ms, commit ([0-9.]+) ms, applying CPU ([0-9.]+) ms; peak RSS ([0-9.]+) MB/) else {
            throw RuntimeFailure("cannot read the consumer's summary: \(line)")
        }
        read = Int(head.1) ?? 0
        batches = Int(head.2) ?? 0
        activeSeconds = Double(head.3) ?? 0
        (decodeMs, stageMs, martsMs, commitMs, applyingCPUMs, peakMB) = (Double(split.1) ?? 0, Double(split.2) ?? 0, Double(split.3) ?? 0,
                                                                        Double(split.4) ?? 0, Double(split.5) ?? 0, Double(split.6) ?? 0)
    }
}

/// The median and range of a benchmark's repeated figures.
struct RunFigures {
    private(set) var values: [Double] = []

    mutating func append(_ value: Double) { values.append(value) }

    var median: Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    var range: (low: Double, high: Double) { (values.min() ?? 0, values.max() ?? 0) }
}
