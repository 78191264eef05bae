import { Root, type Type } from 'protobufjs';

// The few messages of grpc.reflection.v1 a client needs, in protobufjs's JSON form: the wire format is
// the same for v1 and v1alpha (only the service name differs), so one set of types serves both.
const root = Root.fromJSON({
  nested: {
    reflection: {
      nested: {
        ServerReflectionRequest: {
          oneofs: { message_request: { oneof: ['file_by_filename', 'file_containing_symbol', 'list_services'] } },
          fields: {
            host: { type: 'string', id: 1 },
            file_by_filename: { type: 'string', id: 3 },
            file_containing_symbol: { type: 'string', id: 4 },
            list_services: { type: 'string', id: 7 },
          },
        },
        ServerReflectionResponse: {
          fields: {
            valid_host: { type: 'string', id: 1 },
            file_descriptor_response: { type: 'FileDescriptorResponse', id: 4 },
            list_services_response: { type: 'ListServiceResponse', id: 6 },
            error_response: { type: 'ErrorResponse', id: 7 },
          },
        },
        FileDescriptorResponse: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
        ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
        ServiceResponse: { fields: { name: { type: 'string', id: 1 } } },
        ErrorResponse: { fields: { error_code: { type: 'int32', id: 1 }, error_message: { type: 'string', id: 2 } } },
      },
    },
  },
});

export const ReflectionRequest: Type = root.lookupType('reflection.ServerReflectionRequest');
export const ReflectionResponse: Type = root.lookupType('reflection.ServerReflectionResponse');

export interface ReflectionRequestMessage {
  file_by_filename?: string;
  file_containing_symbol?: string;
  list_services?: string;
}

export interface ReflectionResponseMessage {
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
  list_services_response?: { service: Array<{ name: string }> };
  error_response?: { error_code: number; error_message: string };
}

/** Both protocol versions, newest first: grpc-go and @grpc/reflection serve both; older servers only v1alpha. */
export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;
