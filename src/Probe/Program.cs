Console.WriteLine("probe");
