using Outpost.Appliance.Hosting;

return await OutpostCommandLine.Create(FasterStoreOpener.OpenAsync).Parse(args).InvokeAsync(OutpostCommandLine.Invocation);
