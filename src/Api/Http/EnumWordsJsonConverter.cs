using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IaasApi.Api.Http;

/// <summary>
/// Every enum in a request or response as the API's lowercase words (<c>"best-effort"</c>), through System.Text.Json's
/// own string-enum converter. A value that is not one of the words fails with an <see cref="EnumWordException"/> that
/// carries the words, so every enum field's 400 names its choices (DomainExceptionHandler writes it).
/// </summary>
public sealed class EnumWordsJsonConverter : JsonConverterFactory
{
    // Kept in the options after this one too: Swashbuckle looks for it to describe enums as strings.
    public static readonly JsonStringEnumConverter Words = new(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false);

    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert), Words.CreateConverter(typeToConvert, options), options)!;

    private sealed class Converter<T>(JsonConverter<T> words, JsonSerializerOptions options) : JsonConverter<T> where T : struct, Enum
    {
        private readonly string[] _allowed = AllowedWords(words, options);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var given = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            try
            {
                return words.Read(ref reader, typeToConvert, options);
            }
            catch (JsonException)
            {
                throw new EnumWordException(given, _allowed);
            }
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => words.Write(writer, value, options);

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            words.ReadAsPropertyName(ref reader, typeToConvert, options);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            words.WriteAsPropertyName(writer, value, options);

        /// <summary>The words exactly as they are written (the converter's own output, not a second naming rule).</summary>
        private static string[] AllowedWords(JsonConverter<T> words, JsonSerializerOptions options)
        {
            var buffer = new ArrayBufferWriter<byte>();
            return Enum.GetValues<T>().Select(value =>
            {
                buffer.ResetWrittenCount();
                using (var writer = new Utf8JsonWriter(buffer)) words.Write(writer, value, options);
                return JsonSerializer.Deserialize<string>(buffer.WrittenSpan)!;
            }).ToArray();
        }
    }
}

/// <summary>A JSON value that is not one of an enum's words; System.Text.Json adds the field's path on its way out.</summary>
public sealed class EnumWordException(string? given, IReadOnlyList<string> allowed)
    : JsonException($"The value is not one of: {string.Join(", ", allowed)}.")
{
    /// <summary>The string given, or null when the value was not a string at all.</summary>
    public string? Given { get; } = given;

    public IReadOnlyList<string> Allowed { get; } = allowed;
}
