import CRdKafka

/// Builds the `rd_kafka_produceva` argument list for one message (librdkafka copies key, value
/// and topic name; it takes ownership of the headers on success).
enum NativeProduce {
    static func produce(
        _ handle: OpaquePointer,
        _ message: OutgoingMessage,
        partition: Int32,
        opaque: UnsafeMutableRawPointer?
    ) -> rd_kafka_resp_err_t {
        let headers = makeHeaders(message.headers)
        let err: rd_kafka_resp_err_t = message.topic.withCString { topic in
            withOptionalBytes(message.key) { key in
                withOptionalBytes(message.value) { value in
                    // At most 8 arguments, on the stack (an array would be a heap allocation per message).
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { args in
                        var count = 0
                        func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            vu.vtype = type
                            set(&vu)
                            (args.baseAddress! + count).initialize(to: vu)
                            count += 1
                        }
                        add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                        add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition }
                        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        if let key {
                            add(RD_KAFKA_VTYPE_KEY) { $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress); $0.u.mem.size = key.count }
                        }
                        if let value {
                            add(RD_KAFKA_VTYPE_VALUE) { $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress); $0.u.mem.size = value.count }
                        }
                        if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                        if let timestamp = message.timestampMs { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp } }
                        if let opaque { add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque } }
                        guard let error = rd_kafka_produceva(handle, args.baseAddress, count) else {
                            return RD_KAFKA_RESP_ERR_NO_ERROR
                        }
                        defer { rd_kafka_error_destroy(error) }
                        return rd_kafka_error_code(error)
                    }
                }
            }
        }
        if err.isError, let headers {
            rd_kafka_headers_destroy(headers)
        }
        return err
    }

    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer? {
        guard !headers.isEmpty, let list = rd_kafka_headers_new(headers.count) else { return nil }
        for header in headers {
            // The name by its UTF-8 bytes and length: passing the String would copy it into a
            // new C string first (a heap allocation per header).
            var name = header.name
            name.withUTF8 { name in
                name.withMemoryRebound(to: CChar.self) { name in
                    if let value = header.value {
                        value.withUnsafeBytes { bytes in
                            _ = rd_kafka_header_add(list, name.baseAddress, name.count, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bytes.count)
                        }
                    } else {
                        _ = rd_kafka_header_add(list, name.baseAddress, name.count, nil, 0)
                    }
                }
            }
        }
        return list
    }

    /// Runs `body` with the bytes' buffer, or nil for a null field. An empty array still gets a
    /// non-nil (zero-length) buffer so that it stays distinguishable from null.
    private static func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let bytes else { return body(nil) }
        if bytes.isEmpty {
            return withUnsafeTemporaryAllocation(byteCount: 1, alignment: 1) { buffer in
                body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: 0))
            }
        }
        return bytes.withUnsafeBytes { body($0) }
    }
}
