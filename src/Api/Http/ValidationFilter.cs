namespace IaasApi.Api.Http;

/// <summary>Runs the request DTO's FluentValidation validator (shape only) before the handler; 400 with an errors map.</summary>
public static class ValidationFilter
{
    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder route) where T : class =>
        route.AddEndpointFilter(async (ctx, next) =>
        {
            if (ctx.Arguments.OfType<T>().FirstOrDefault() is not { } arg) return await next(ctx);
            var validator = ctx.HttpContext.RequestServices.GetRequiredService<IValidator<T>>();
            var result = await validator.ValidateAsync(arg, ctx.HttpContext.RequestAborted);
            return result.IsValid ? await next(ctx) : ValidationProblem(result.ToDictionary());
        }).ProducesValidationProblem();

    public static IResult ValidationProblem(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Type = Domain.Common.ProblemTypes.Uri(HttpProblemTypes.Validation),
            Title = "The request is invalid.",
            Detail = "See errors for the fields to correct.",
        });
}
