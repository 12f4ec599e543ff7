using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation.Validators;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IaasApi.Api.OpenApi;

/// <summary>
/// <c>required</c> and limits as the API really behaves:
/// <list type="bullet">
/// <item>a type the API only writes (a response) has every member present in every answer (nulls are written), so
/// all are required; <c>nullable</c> comes from the C# annotations;</item>
/// <item>a type a request body carries is required and limited as its FluentValidation validator checks it: NotNull /
/// NotEmpty (unconditional) → required, lengths, ranges, comparisons and patterns → schema constraints.</item>
/// </list>
/// </summary>
internal sealed class SchemaRulesFilter(IServiceProvider services, IApiDescriptionGroupCollectionProvider api) : ISchemaFilter
{
    private HashSet<Type>? _inputs;

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema s || s.Properties is not { Count: > 0 } properties) return;
        AllowNullReferences(properties, context.Type);
        if (!Inputs().Contains(context.Type))
        {
            s.Required = new HashSet<string>(properties.Keys.Except(SometimesOmitted(context.Type)));
            return;
        }
        if (services.GetService(typeof(IValidator<>).MakeGenericType(context.Type)) is not IValidator validator) return;
        foreach (var rule in validator.CreateDescriptor().Rules)
        {
            if (rule.PropertyName is not { } name || name.Contains('.')) continue;
            var property = JsonNamingPolicy.CamelCase.ConvertName(name);
            if (!properties.TryGetValue(property, out var target) || target is not OpenApiSchema p) continue;
            foreach (var component in rule.Components)
            {
                var unconditional = !rule.HasCondition && !rule.HasAsyncCondition && !component.HasCondition && !component.HasAsyncCondition;
                Constrain(s, property, p, component.Validator, unconditional);
            }
        }
    }

    /// <summary>Members the serializer leaves out when null or default (<c>[JsonIgnore(Condition = WhenWriting…)]</c>): admin-only fields.</summary>
    private static IEnumerable<string> SometimesOmitted(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: not JsonIgnoreCondition.Never })
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name));

    /// <summary>
    /// A member whose schema is another component (an object, an enum) and whose C# type admits null: a reference
    /// cannot say so itself, so it becomes <c>oneOf</c> the component and null.
    /// </summary>
    private static void AllowNullReferences(IDictionary<string, IOpenApiSchema> properties, Type type)
    {
        var nullability = new NullabilityInfoContext();
        foreach (var member in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(member.Name);
            if (!properties.TryGetValue(name, out var schema) || schema is not OpenApiSchemaReference reference) continue;
            if (nullability.Create(member).ReadState != NullabilityState.Nullable) continue;
            properties[name] = new OpenApiSchema { OneOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Null }] };
        }
    }

    private static void Constrain(OpenApiSchema owner, string property, OpenApiSchema p, IPropertyValidator rule, bool unconditional)
    {
        switch (rule)
        {
            case INotNullValidator when unconditional:
                Require(owner, property, p);
                break;
            case INotEmptyValidator when unconditional:
                Require(owner, property, p);
                if (p.Type?.HasFlag(JsonSchemaType.String) == true) p.MinLength = Math.Max(p.MinLength ?? 0, 1);
                if (p.Type?.HasFlag(JsonSchemaType.Array) == true) p.MinItems = Math.Max(p.MinItems ?? 0, 1);
                break;
            case ILengthValidator length:
                if (length.Min > 0) p.MinLength = length.Min;
                if (length.Max > 0) p.MaxLength = length.Max;
                break;
            case IBetweenValidator between when rule.GetType().Name.StartsWith("Inclusive", StringComparison.Ordinal):
                p.Minimum = Number(between.From);
                p.Maximum = Number(between.To);
                break;
            case IBetweenValidator between:
                p.ExclusiveMinimum = Number(between.From);
                p.ExclusiveMaximum = Number(between.To);
                break;
            case IComparisonValidator { ValueToCompare: { } value } comparison:
                switch (comparison.Comparison)
                {
                    case Comparison.GreaterThanOrEqual: p.Minimum = Number(value); break;
                    case Comparison.GreaterThan: p.ExclusiveMinimum = Number(value); break;
                    case Comparison.LessThanOrEqual: p.Maximum = Number(value); break;
                    case Comparison.LessThan: p.ExclusiveMaximum = Number(value); break;
                }
                break;
            case IRegularExpressionValidator { Expression: { } pattern }:
                p.Pattern = pattern;
                break;
        }
    }

    /// <summary>Present and not null: the validator refuses either.</summary>
    private static void Require(OpenApiSchema owner, string property, OpenApiSchema p)
    {
        (owner.Required ??= new HashSet<string>()).Add(property);
        if (p.Type is { } type) p.Type = type & ~JsonSchemaType.Null;
    }

    private static string? Number(object? value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : null;

    /// <summary>Every type a request body carries, with the types its members carry, recursively.</summary>
    private HashSet<Type> Inputs()
    {
        if (_inputs is not null) return _inputs;
        var found = new HashSet<Type>();
        foreach (var parameter in api.ApiDescriptionGroups.Items.SelectMany(g => g.Items).SelectMany(d => d.ParameterDescriptions)
                                     .Where(p => p.Source == BindingSource.Body && p.Type is not null))
            Walk(parameter.Type, found);
        return _inputs = found;
    }

    private static void Walk(Type type, HashSet<Type> found)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(Guid) || type == typeof(DateTimeOffset)) return;
        if (type.IsArray) { Walk(type.GetElementType()!, found); return; }
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments()) Walk(argument, found);
            if (typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) return;
        }
        if (!found.Add(type)) return;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)) Walk(property.PropertyType, found);
    }
}
