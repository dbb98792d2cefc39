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
                    var args: [rd_kafka_vu_t] = []
                    args.reserveCapacity(8)
                    var vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_TOPIC
                    vu.u.cstr = topic
                    args.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_PARTITION
                    vu.u.i32 = partition
                    args.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    vu.u.i = RD_KAFKA_MSG_F_COPY
                    args.append(vu)
                    if let key {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_KEY
                        vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        vu.u.mem.size = key.count
                        args.append(vu)
                    }
                    if let value {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_VALUE
                        vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        vu.u.mem.size = value.count
                        args.append(vu)
                    }
                    if let headers {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_HEADERS
                        vu.u.headers = headers
                        args.append(vu)
                    }
                    if let timestamp = message.timestampMs {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_TIMESTAMP
                        vu.u.i64 = timestamp
                        args.append(vu)
                    }
                    if let opaque {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_OPAQUE
                        vu.u.ptr = opaque
                        args.append(vu)
                    }
                    guard let error = rd_kafka_produceva(handle, &args, args.count) else {
                        return RD_KAFKA_RESP_ERR_NO_ERROR
                    }
                    defer { rd_kafka_error_destroy(error) }
                    return rd_kafka_error_code(error)
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
            if let value = header.value {
                value.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(list, header.name, -1, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bytes.count)
                }
            } else {
                _ = rd_kafka_header_add(list, header.name, -1, nil, 0)
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
