[assembly: PageTableMultiarch.Properties.EnvironmentProperties]
